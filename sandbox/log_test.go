package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// count returns how many log lines hold msg in their message, and
// empties the buffer.
func (s *syncBuffer) count(t *testing.T, msg string) int {
	t.Helper()
	n := 0
	for _, l := range s.lines(t) {
		if m, _ := l["msg"].(string); strings.Contains(m, msg) {
			n++
		}
	}
	return n
}

// waitUntil polls ok (real time, every 10 ms) until it holds, and fails
// the test after 10 s, saying what it waited for.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // real time: a guard against a hang
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lines returns the log lines decoded, and empties the buffer.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	s.b.Reset()
	return out
}

// TestDefaultLogHoldsWhatIsWorthALook: without the access log, successes
// and Ocean error answers write nothing; an HTTP error, an admin change
// and a fired fault rule write a line each, and the summary counts them.
func TestDefaultLogHoldsWhatIsWorthALook(t *testing.T) {
	var logs syncBuffer
	vc := clock.NewVirtual(time.Time{})
	sb := New(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Clock: vc})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	do := func(method, path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 3 {
		do("GET", "/track/activate/?callback=c&idfa=i&event_type=2", "")
	}
	do("GET", "/track/activate/?callback=c", "") // 40002: an answer, not logged
	do("GET", "/healthz", "")                    // not logged
	if got := logs.lines(t); len(got) != 0 {
		t.Fatalf("successes and Ocean answers logged: %v", got)
	}
	do("GET", "/nowhere", "")                                                                      // 404
	do("POST", "/_admin/ocean/faults", `{"status":503,"times":1}`)                                 // admin change
	if s := do("GET", "/ns/team-a/track/activate/?callback=c&idfa=i&event_type=2", ""); s != 200 { // another namespace: fine
		t.Fatalf("namespace: %d", s)
	}
	if s := do("GET", "/track/activate/?callback=c&idfa=i&event_type=2", ""); s != 503 { // the fault fires
		t.Fatalf("faulted request: %d", s)
	}
	got := logs.lines(t)
	want := []struct{ msg, key, value string }{
		{"request", "path", "/nowhere"},
		{"request", "path", "/_admin/ocean/faults"},
		{"ocean fault", "fault", "f1"},
		{"request", "status", "503"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d log lines, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i]["msg"] != w.msg || fmt.Sprint(got[i][w.key]) != w.value {
			t.Errorf("line %d: %v, want msg %q with %s=%s", i, got[i], w.msg, w.key, w.value)
		}
	}

	vc.Advance(defaultSummaryEvery)
	sum := logs.lines(t)
	if len(sum) != 1 || sum[0]["msg"] != "traffic" || sum[0]["requests"] != float64(9) {
		t.Fatalf("summary %v, want one traffic line counting 9 requests", sum)
	}
	codes, _ := sum[0]["ocean_codes"].(map[string]any)
	if codes["0"] != float64(4) || codes["40002"] != float64(1) || codes["http_503"] != float64(1) {
		t.Errorf("summary codes %v, want 0: 4, 40002: 1, http_503: 1", codes)
	}
	vc.Advance(defaultSummaryEvery) // nothing happened: no line
	if quiet := logs.lines(t); len(quiet) != 0 {
		t.Errorf("summary of an idle minute: %v", quiet)
	}
	do("GET", "/healthz", "")
	vc.Advance(defaultSummaryEvery)
	if next := logs.lines(t); len(next) != 1 || next[0]["requests"] != float64(1) {
		t.Errorf("second summary %v, want 1 request", next)
	}
}

// TestSummaryKeepsRemovedNamespaces: a namespace removed between two
// summaries (its series leave /metrics) still counts in the next one,
// and the one after does not count it down.
func TestSummaryKeepsRemovedNamespaces(t *testing.T) {
	var logs syncBuffer
	vc := clock.NewVirtual(time.Time{})
	sb := New(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Clock: vc})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	for i := range 3 {
		resp, err := http.Get(hs.URL + "/ns/team-a/track/activate/?callback=c&idfa=i&event_type=2&outer_event_id=o" + fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := sb.DeleteNamespace(context.Background(), "team-a"); err != nil {
		t.Fatal(err)
	}
	logs.lines(t) // the namespace's removal
	vc.Advance(defaultSummaryEvery)
	sum := logs.lines(t)
	if len(sum) != 1 {
		t.Fatalf("summary %v, want one line", sum)
	}
	if codes, _ := sum[0]["ocean_codes"].(map[string]any); codes["0"] != float64(3) {
		t.Errorf("summary codes %v, want the removed namespace's 3 successes", codes)
	}
	vc.Advance(defaultSummaryEvery)
	if quiet := logs.lines(t); len(quiet) != 0 {
		t.Errorf("the minute after: %v, want nothing (no negative counts)", quiet)
	}
}

// TestPprofBehindTheToken: the profiles are served only when asked for,
// and then only with the admin token when there is one.
func TestPprofBehindTheToken(t *testing.T) {
	get := func(sb *Sandbox, path, token string) int {
		t.Helper()
		hs := httptest.NewServer(sb)
		defer hs.Close()
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == 200 && path == "/debug/pprof/heap?debug=1" && !strings.Contains(string(b), "heap profile") {
			t.Errorf("heap profile: %.200s", b)
		}
		return resp.StatusCode
	}
	if s := get(New(Config{}), "/debug/pprof/", ""); s != 404 {
		t.Errorf("pprof off: %d, want 404", s)
	}
	open := New(Config{Pprof: true})
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/goroutine", "/debug/pprof/profile?seconds=1"} {
		if s := get(open, p, ""); s != 200 {
			t.Errorf("GET %s: %d, want 200", p, s)
		}
	}
	if s := get(open, "/debug/pprof/nothing", ""); s != 404 {
		t.Errorf("unknown profile: %d", s)
	}
	if s := get(open, "/debug/pprof/profile?seconds=0", ""); s != 400 {
		t.Errorf("seconds=0: %d", s)
	}
	guarded := New(Config{Pprof: true, AdminToken: "s3cret"})
	if s := get(guarded, "/debug/pprof/heap?debug=1", ""); s != 401 {
		t.Errorf("without the token: %d, want 401", s)
	}
	if s := get(guarded, "/debug/pprof/heap?debug=1", "s3cret"); s != 200 {
		t.Errorf("with the token: %d, want 200", s)
	}
}

// TestAttemptLogNamesTheNamespace: delivery ids restart in each
// namespace, so an attempt's line says which; delivered attempts are
// left to the summary unless the access log is on.
func TestAttemptLogNamesTheNamespace(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, "fail") {
			w.WriteHeader(http.StatusGone)
		}
	}))
	defer receiver.Close()
	for _, access := range []bool{false, true} {
		var logs syncBuffer
		attempted := make(chan struct{}, 4) // the user's hook runs after the sandbox has logged
		sb := New(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), AccessLog: access, SummaryEvery: -1,
			Impact: mockimpact.Options{OnAttempt: func(mockimpact.Attempt) { attempted <- struct{}{} }}})
		hs := httptest.NewServer(sb)
		for _, c := range []struct{ ns, query string }{{"team-a", "ok"}, {"team-b", "fail"}} {
			body := `{"url":"` + receiver.URL + `/pb?` + c.query + `","method":"GET","format":"none"}`
			for _, req := range []struct{ method, path, body string }{
				{"PUT", "/ns/" + c.ns + "/_admin/impact/postbacks/action_lifecycle", body},
				{"POST", "/ns/" + c.ns + "/_admin/impact/events/action_lifecycle", ""},
			} {
				r, _ := http.NewRequest(req.method, hs.URL+req.path, strings.NewReader(req.body))
				resp, err := http.DefaultClient.Do(r)
				if err != nil || resp.StatusCode >= 300 {
					t.Fatalf("%s %s: %v %v", req.method, req.path, err, resp.Status)
				}
				resp.Body.Close()
			}
			select {
			case <-attempted:
			case <-time.After(10 * time.Second): // real time: a guard against a hang
				t.Fatalf("%s: no attempt in 10 s", c.ns)
			}
		}
		sb.Close()
		hs.Close()
		var attempts []map[string]any
		for _, l := range logs.lines(t) {
			if l["msg"] == "impact attempt" {
				attempts = append(attempts, l)
			}
		}
		want := 1 // team-b's 410, retried
		if access {
			want = 2
		}
		if len(attempts) != want {
			t.Fatalf("access log %v: %d attempt lines, want %d: %v", access, len(attempts), want, attempts)
		}
		last := attempts[len(attempts)-1]
		if last["namespace"] != "team-b" || last["outcome"] != "http_error" || last["status"] != float64(410) || last["delivery"] != "d000001" {
			t.Errorf("access log %v: attempt line %v, want team-b's http_error 410 of d000001", access, last)
		}
		if access && attempts[0]["namespace"] != "team-a" {
			t.Errorf("delivered attempt line %v, want team-a", attempts[0])
		}
	}
}
