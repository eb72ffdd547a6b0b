package certify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// values decodes what a postback carries: the query, and a form or JSON
// body. ok is false when the body does not parse.
func values(r *http.Request) (map[string]string, []byte, bool) {
	body, _ := io.ReadAll(r.Body)
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	switch {
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			return nil, body, false
		}
		var walk func(prefix string, v any)
		walk = func(prefix string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					walk(prefix+k+".", x)
				}
			case []any:
				for _, x := range v {
					walk(prefix, x)
				}
			case string:
				out[prefix] = v
			}
		}
		walk("", m)
	case len(body) > 0:
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, body, false
		}
		for k, v := range q {
			out[k] = v[0]
		}
	}
	return out, body, true
}

// correct is a receiver that does everything right: it parses what comes,
// answers 200 OK, and counts a repeated event once.
func correct(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := values(r); !ok {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "OK")
}

// receivers are built to fail one kind of check each.
func receivers(vc *clock.Virtual, stop <-chan struct{}) map[string]http.HandlerFunc {
	var mu sync.Mutex
	seen := map[[32]byte]bool{}
	return map[string]http.HandlerFunc{
		"correct": correct,
		// not_idempotent answers 409 to a request it has seen.
		"not_idempotent": func(w http.ResponseWriter, r *http.Request) {
			_, body, _ := values(r)
			key := sha256.Sum256(append([]byte(r.URL.RawQuery+"\n"), body...))
			mu.Lock()
			dup := seen[key]
			seen[key] = true
			mu.Unlock()
			if dup {
				http.Error(w, "duplicate event", http.StatusConflict)
				return
			}
			_, _ = io.WriteString(w, "OK")
		},
		// no_success_text answers 200 without the configured "OK".
		"no_success_text": func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "received") },
		// breaks_utf8 rejects any value that is not ASCII.
		"breaks_utf8": func(w http.ResponseWriter, r *http.Request) {
			vals, _, _ := values(r)
			for _, v := range vals {
				for i := 0; i < len(v); i++ {
					if v[i] >= utf8.RuneSelf {
						http.Error(w, "invalid character", http.StatusBadRequest)
						return
					}
				}
			}
			_, _ = io.WriteString(w, "OK")
		},
		// needs_redirect answers the postback path with a redirect.
		"needs_redirect": func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/pb" {
				http.Redirect(w, r, "/pb/", http.StatusFound)
				return
			}
			_, _ = io.WriteString(w, "OK")
		},
		// slow answers after 6 s of (virtual) time: a warning, not a failure.
		"slow": func(w http.ResponseWriter, r *http.Request) {
			vc.Advance(6 * time.Second)
			correct(w, r)
		},
		// hangs never answers: each attempt times out.
		"hangs": func(_ http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // the server notices a closed connection once the body is read
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		},
		// echo_mangled echoes the values it got after losing the non-ASCII.
		"echo_mangled": func(w http.ResponseWriter, r *http.Request) {
			vals, _, _ := values(r)
			var b strings.Builder
			b.WriteString("OK ")
			for _, v := range vals {
				if strings.HasPrefix(v, "certify ") {
					b.WriteString(strings.Map(func(c rune) rune {
						if c >= utf8.RuneSelf {
							return '?'
						}
						return c
					}, v))
				}
			}
			_, _ = io.WriteString(w, b.String())
		},
	}
}

// battery runs a battery against the named receiver on 127.0.0.1, on a
// virtual clock (latencies are exact: 0 unless the receiver advances it).
func battery(t *testing.T, name string, o Options) (*Report, string) {
	t.Helper()
	vc := clock.NewVirtual(time.Time{})
	stop := make(chan struct{})
	srv := httptest.NewServer(receivers(vc, stop)[name])
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: no handler outlives the test
	o.Target = srv.URL + "/pb"
	o.Clock = vc
	if o.Success.IsZero() {
		o.Success = mockimpact.Matcher{Text: "OK"}
	}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return rep, srv.URL
}

// byResult returns the ids of the checks with result r.
func byResult(rep *Report, r Result) []string {
	var out []string
	for _, c := range rep.Checks {
		if c.Result == r {
			out = append(out, c.ID)
		}
	}
	return out
}

func TestReceivers(t *testing.T) {
	cases := []struct {
		receiver string
		opts     Options
		// failing names the substring every failing check's id holds;
		// empty means nothing fails.
		failing string
		every   bool // every check fails
		warning string
		outcome mockimpact.Outcome
	}{
		{receiver: "correct"},
		{receiver: "not_idempotent", failing: "idempotent", outcome: mockimpact.OutcomeHTTPError},
		{receiver: "no_success_text", every: true, outcome: mockimpact.OutcomeUnconfirmed},
		{receiver: "breaks_utf8", failing: "utf8", outcome: mockimpact.OutcomeHTTPError},
		{receiver: "needs_redirect", every: true, outcome: mockimpact.OutcomeUnconfirmed},
		{receiver: "hangs", opts: Options{TimeScale: 3000, Events: []string{"job_completed"}}, every: true, outcome: mockimpact.OutcomeNetworkError},
		{receiver: "slow", opts: Options{Events: []string{"action_cleared"}}, warning: ""},
		// An answer that echoes is not the success text itself: a receiver that echoes is configured by status.
		{receiver: "echo_mangled", opts: Options{Success: mockimpact.Matcher{Status: 200}}, warning: "utf8"},
	}
	for _, c := range cases {
		t.Run(c.receiver, func(t *testing.T) {
			rep, _ := battery(t, c.receiver, c.opts)
			if len(rep.Checks) == 0 {
				t.Fatal("no checks")
			}
			fails := byResult(rep, Fail)
			switch {
			case c.every:
				if len(fails) != len(rep.Checks) {
					t.Errorf("%d of %d checks fail, want all; passing: %v", len(fails), len(rep.Checks), byResult(rep, Pass))
				}
			case c.failing == "":
				if len(fails) > 0 {
					t.Errorf("failing checks: %v", fails)
				}
			default:
				if len(fails) == 0 {
					t.Errorf("no check fails, want the %s ones", c.failing)
				}
				for _, id := range fails {
					if !strings.Contains(id, c.failing) {
						t.Errorf("check %s fails, want only %s ones", id, c.failing)
					}
				}
			}
			for _, ch := range rep.Checks {
				if ch.Result == Fail && ch.Outcome != c.outcome {
					t.Errorf("%s: outcome %s, want %s (%s)", ch.ID, ch.Outcome, c.outcome, ch.Detail)
				}
				if ch.Result == Fail && (ch.Outcome == mockimpact.OutcomeUnconfirmed) != strings.Contains(ch.Detail, "unconfirmed") {
					t.Errorf("%s: detail %q does not say unconfirmed", ch.ID, ch.Detail)
				}
			}
			if c.receiver == "slow" {
				if w := byResult(rep, Warn); len(w) != len(rep.Checks) {
					t.Errorf("warnings %v, want every check (6 s answers)", w)
				}
				if l := rep.Latency[0]; l.P50 != 6*time.Second || l.P95 != 6*time.Second {
					t.Errorf("latency %+v, want 6s", l)
				}
			}
			if c.warning != "" {
				w := byResult(rep, Warn)
				if len(w) == 0 {
					t.Errorf("no warning, want %s ones", c.warning)
				}
				for _, id := range w {
					if !strings.Contains(id, c.warning) {
						t.Errorf("check %s warns, want only %s ones", id, c.warning)
					}
				}
			}
			if got := rep.Passed + rep.Warned + rep.Failed; got != len(rep.Checks) {
				t.Errorf("tally %d, checks %d", got, len(rep.Checks))
			}
		})
	}
}

// TestCoverage: every event, every transport, every status variant, and
// the idempotent, utf8 and extra_fields checks, with stable ids.
func TestCoverage(t *testing.T) {
	rep, _ := battery(t, "correct", Options{})
	ids := map[string]bool{}
	for _, c := range rep.Checks {
		if ids[c.ID] {
			t.Errorf("duplicate id %s", c.ID)
		}
		ids[c.ID] = true
		if !strings.Contains(c.Why, "docs/platforms.md#") {
			t.Errorf("%s: why %q cites no docs/platforms.md anchor", c.ID, c.Why)
		}
		if c.Request.Method == "" || c.Response == nil || c.Response.Status != 200 {
			t.Errorf("%s: request %+v response %+v", c.ID, c.Request, c.Response)
		}
	}
	for _, id := range []string{
		"action_lifecycle.tracked.get", "action_lifecycle.modified.post_json", "action_lifecycle.reversed.post_form",
		"action_inquiry.approved.get", "action_inquiry.rejected.post_json",
		"publisher_application.retracted.post_form", "job_completed.default.get",
		"action_cleared.idempotent", "tracking_value_request.utf8.get", "publisher_application.utf8.post_json",
		"action_inquiry.utf8.post_form", "job_completed.extra_fields.json", "job_completed.extra_fields.query",
	} {
		if !ids[id] {
			t.Errorf("no check %s", id)
		}
	}
	get, _ := battery(t, "correct", Options{Method: "get", Events: []string{"action_lifecycle"}})
	for _, c := range get.Checks {
		if c.Request.Method != http.MethodGet || c.Request.Body != "" || !strings.Contains(c.Request.URL, "ActionId=") {
			t.Errorf("--method GET: %s sent %s %s", c.ID, c.Request.Method, c.Request.URL)
		}
	}
	for _, c := range rep.Checks {
		if c.ID == "action_lifecycle.utf8.get" && !strings.Contains(c.Request.URL, "Note=certify+%E4%BF%83") {
			t.Errorf("utf8 query not encoded as impact does: %s", c.Request.URL)
		}
	}
}

// TestTargetMacros: the target URL is a template rendered per event, as
// impact renders the configured URL.
func TestTargetMacros(t *testing.T) {
	var mu sync.Mutex
	var aids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		aids = append(aids, r.URL.Query().Get("aid"))
		mu.Unlock()
		correct(w, r)
	}))
	defer srv.Close()
	rep, err := Run(context.Background(), Options{Target: srv.URL + "/pb?aid={ActionId}", Events: []string{"action_lifecycle"},
		Method: "POST", Clock: clock.NewVirtual(time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 0 || len(aids) == 0 {
		t.Fatalf("failed %d, %d requests", rep.Failed, len(aids))
	}
	for _, a := range aids {
		if !strings.HasPrefix(a, "ACT-") {
			t.Errorf("aid=%q: the {ActionId} macro was not rendered", a)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, o := range []Options{
		{Target: "ftp://x"},
		{Target: "http://127.0.0.1:1/", Method: "PUT"},
		{Target: "http://127.0.0.1:1/", Events: []string{"action_lifecycel"}},
		{Target: "http://127.0.0.1:1/", TimeScale: -1},
	} {
		_, err := Run(context.Background(), o)
		var ue *UsageError
		if err == nil || !errorsAs(err, &ue) {
			t.Errorf("%+v: err %v, want a UsageError", o, err)
		}
	}
}

func errorsAs(err error, target **UsageError) bool {
	ue, ok := err.(*UsageError)
	*target = ue
	return ok
}

// stable replaces the test server's address so reports compare across runs.
func stable(s, base string) string {
	return strings.ReplaceAll(s, base, "http://127.0.0.1:PORT")
}

func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the report (go test ./certify -update rewrites it):\n%s", path, got)
	}
}

func TestGoldenReports(t *testing.T) {
	for _, c := range []struct {
		name, receiver, format string
		opts                   Options
	}{
		{"correct.txt", "correct", "text", Options{}},
		{"not_idempotent.txt", "not_idempotent", "text", Options{Events: []string{"action_lifecycle", "job_completed"}}},
		{"needs_redirect.txt", "needs_redirect", "text", Options{Events: []string{"action_cleared"}, Method: "GET"}},
		{"job_completed.json", "not_idempotent", "json", Options{Events: []string{"job_completed"}}},
		{"breaks_utf8.html", "breaks_utf8", "html", Options{Events: []string{"action_cleared"}, Method: "POST"}},
		{"breaks_utf8.junit.xml", "breaks_utf8", "junit", Options{Events: []string{"action_cleared", "job_completed"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, base := battery(t, c.receiver, c.opts)
			var b bytes.Buffer
			if err := rep.Write(&b, c.format); err != nil {
				t.Fatal(err)
			}
			golden(t, c.name, stable(b.String(), base))
		})
	}
}

func TestJUnitParsesBack(t *testing.T) {
	rep, _ := battery(t, "not_idempotent", Options{})
	rep.Checks[0].Result, rep.Checks[0].Detail = Warn, "a warning note"
	rep.tally()
	var b bytes.Buffer
	if err := rep.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var doc JUnitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != len(rep.Checks) || doc.Failures != rep.Failed || doc.Failures != 6 || len(doc.Suites) != 6 {
		t.Fatalf("tests %d failures %d suites %d; report %d checks, %d failed", doc.Tests, doc.Failures, len(doc.Suites), len(rep.Checks), rep.Failed)
	}
	var warned int
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if (c.Failure != nil) != strings.HasSuffix(c.Name, ".idempotent") {
				t.Errorf("%s: failure %+v", c.Name, c.Failure)
			}
			if c.Failure != nil && !strings.Contains(c.Failure.Text, "docs/platforms.md#the-retry-schedule") {
				t.Errorf("%s: failure text %q", c.Name, c.Failure.Text)
			}
			if strings.HasPrefix(c.SystemOut, "warning: a warning note") {
				warned++
			}
		}
	}
	if warned != 1 {
		t.Errorf("%d warnings in system-out, want 1", warned)
	}
}

func TestHTMLEscapes(t *testing.T) {
	rep := &Report{Target: `http://x/<script>alert(1)</script>`, Checks: []Check{{
		ID: "e.x", Event: "e", Result: Fail, Detail: `<b>bold</b>`, Why: "w",
		Request:  SentRequest{Method: "POST", URL: "http://x/", Body: `{"a":"<img src=x onerror=alert(1)>"}`},
		Response: &ReceivedAnswer{Status: 200, Body: "</pre><script>"},
	}}}
	rep.tally()
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script>", "<img", "<b>bold", "src=\"http", "href=\"http", "<link"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML holds %q unescaped", bad)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 20; i++ {
		d = append(d, time.Duration(i))
	}
	if p50, p95 := percentile(d, 50), percentile(d, 95); p50 != 10 || p95 != 19 {
		t.Errorf("p50 %d p95 %d", p50, p95)
	}
	if percentile(nil, 50) != 0 || percentile(d[:1], 95) != 1 {
		t.Error("edge cases")
	}
}

// TestHumanDurations: latencies read as people write them.
func TestHumanDurations(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Microsecond: "45 µs", 801311 * time.Nanosecond: "0.8 ms", 5382665 * time.Nanosecond: "5.4 ms",
		123456 * time.Microsecond: "123 ms", 1234 * time.Millisecond: "1.2 s", 31 * time.Second: "31 s",
	} {
		if got := Human(d); got != want {
			t.Errorf("Human(%v) = %q, want %q", d, got, want)
		}
	}
}
