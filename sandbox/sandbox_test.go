package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

func TestSandboxRoutesAndAccessLog(t *testing.T) {
	var logs bytes.Buffer
	sb := New(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), AccessLog: true, SummaryEvery: -1})
	hs := httptest.NewServer(sb)
	defer hs.Close()

	check := func(path string, wantStatus int, wantBody string) {
		t.Helper()
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != wantStatus || !strings.Contains(string(b), wantBody) {
			t.Fatalf("GET %s: %d %s, want %d containing %s", path, resp.StatusCode, b, wantStatus, wantBody)
		}
	}
	check("/healthz", 200, `"ok"`)
	check("/readyz", 200, `"ok"`)
	check("/track/activate/?callback=c&idfa=i&event_type=2", 200, `{"code":0,"ret":0,"msg":"success"}`)
	check("/track/activate/?callback=c", 200, `"code":40002`)
	check("/nowhere", 404, `"error"`)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d log lines, want one per request:\n%s", len(lines), logs.String())
	}
	var entry struct {
		Msg, Method, Path string
		Status, Code      int
	}
	if err := json.Unmarshal([]byte(lines[3]), &entry); err != nil {
		t.Fatal(err)
	}
	if entry.Path != "/track/activate/" || entry.Status != 200 || entry.Code != mockocean.CodeDeviceInfo {
		t.Fatalf("log line %s", lines[3])
	}
	if !strings.Contains(lines[4], `"status":404`) || strings.Contains(lines[4], `"code"`) {
		t.Fatalf("404 log line %s", lines[4])
	}
}

func TestSandboxImpactEndToEnd(t *testing.T) {
	got := make(chan *http.Request, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r
		w.Write([]byte("OK"))
	}))
	defer receiver.Close()
	sb := New(Config{})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()

	send := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := send("PUT", "/_admin/impact/postbacks/job_completed",
		`{"url":"`+receiver.URL+`/jobs?id={JobId}","method":"GET","format":"none","success":"OK","headers":{"Authorization":"Bearer t"}}`); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, body := send("POST", "/_admin/impact/events/job_completed?seed=5", "")
	if code != 202 {
		t.Fatalf("fire: %d %s", code, body)
	}
	r := <-got
	if r.URL.Path != "/jobs" || r.URL.Query().Get("id") == "" || r.Header.Get("Authorization") != "Bearer t" {
		t.Fatalf("receiver got %s %v", r.URL, r.Header)
	}
	if err := sb.Impact.WaitForAttempts(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	code, body = send("GET", "/_admin/impact/deliveries?outcome=delivered", "")
	if code != 200 || !strings.Contains(body, `"count": 1`) || !strings.Contains(body, `"outcome": "delivered"`) {
		t.Fatalf("deliveries: %d %s", code, body)
	}
	if code, body := send("GET", "/_admin/impact/nope", ""); code != 404 || !strings.Contains(body, `"error"`) {
		t.Fatalf("unknown admin path: %d %s", code, body)
	}
}

func mockoceanConfig(journalCap int) mockocean.Config {
	return mockocean.Config{JournalCapacity: journalCap}
}

func TestImpactMetrics(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) }))
	defer receiver.Close()
	// The user's hook runs after the sandbox has counted the attempt;
	// WaitForAttempts returns once it is journaled, which is before.
	counted := make(chan struct{}, 1)
	sb := New(Config{Impact: mockimpact.Options{OnAttempt: func(mockimpact.Attempt) { counted <- struct{}{} }}})
	defer sb.Close()
	if _, err := sb.Impact.Configure(t.Context(), mockimpact.Postback{Event: "action_cleared", URL: receiver.URL + "/c"}); err != nil {
		t.Fatal(err)
	}
	ev := fixtures.NewImpactGen(1, time.Time{}).ActionCleared()
	if _, err := sb.Impact.Fire(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	select {
	case <-counted:
	case <-time.After(10 * time.Second): // real time: a guard against a hang
		t.Fatal("no attempt in 10 s")
	}
	hs := httptest.NewServer(sb)
	defer hs.Close()
	resp, _ := http.Get(hs.URL + "/metrics")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`postbacksim_impact_attempts_total{event="action_cleared",namespace="default",outcome="delivered"} 1`,
		`postbacksim_impact_deliveries_total{event="action_cleared",namespace="default",outcome="delivered"} 1`,
		`postbacksim_impact_attempt_latency_seconds_count{event="action_cleared",namespace="default"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestWrongMethodIs405: every path that exists answers a wrong method with
// 405 and the methods it takes, not a 404 saying the path is missing.
func TestWrongMethodIs405(t *testing.T) {
	sb := New(Config{})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	for _, c := range []struct{ method, path, allow string }{
		{"PATCH", "/_admin/ocean/faults", "GET, POST, DELETE, HEAD"},
		{"PUT", "/_admin/ocean/requests", "GET, DELETE, HEAD"},
		{"DELETE", "/_admin/impact/postbacks", "GET, HEAD"},
		{"GET", "/_admin/ocean/faults/f1", "DELETE"},
		{"POST", "/healthz", "GET, HEAD"},
		{"POST", "/metrics", "GET, HEAD"},
		{"PUT", "/track/activate/", "GET, POST"},
		{"PATCH", "/ns/team-a/_admin/ocean/faults", "GET, POST, DELETE, HEAD"},
	} {
		req, _ := http.NewRequest(c.method, hs.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), c.allow)
		}
	}
}
