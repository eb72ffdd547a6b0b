package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndBadInput(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, exitUsage, "", "Usage: postbacksim COMMAND"},
		{[]string{"--help"}, exitOK, "Commands:", ""},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"serve", "--bogus"}, exitUsage, "", "unknown flag --bogus"},
		{[]string{"serve", "--help"}, exitOK, "--addr HOST:PORT", ""},
		{[]string{"serve", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{[]string{"serve", "--log-format", "xml"}, exitUsage, "", `--log-format: "xml" is not text or json`},
		{[]string{"serve", "--journal-capacity", "-1"}, exitUsage, "", "--journal-capacity: -1 is negative"},
		{[]string{"serve", "--max-in-flight", "-1"}, exitUsage, "", "--max-in-flight: -1 is negative"},
		{[]string{"serve", "--addr", "256.0.0.1:99999"}, exitUsage, "", "the port must be a number from 0 to 65535"},
		{[]string{"serve", "--addr", ":80800"}, exitUsage, "", "the port must be a number from 0 to 65535"},
		{[]string{"serve", "--addr", "256.0.0.1:8080"}, exitFail, "", "listening on 256.0.0.1:8080"},
		{[]string{"ocean"}, exitUsage, "", "ocean catalog|event-types|macros"},
		{[]string{"ocean", "macros"}, exitOK, "| `__CALLBACK_URL__` |", ""},
		{[]string{"ocean", "clicks"}, exitUsage, "", "--monitor-url is required"},
		{[]string{"ocean", "clicks", "--monitor-url", "https://a.example/?x=__NOPE__"}, exitUsage, "", "unknown macro __NOPE__"},
		{[]string{"ocean", "clicks", "--monitor-url", "https://a.example/", "--callback-key", "zz"}, exitUsage, "", "--callback-key: not hex; want at least 16 bytes"},
		{[]string{"ocean", "clicks", "--monitor-url", "https://a.example/", "--callback-key", "abcd"}, exitUsage, "", "--callback-key: 2 bytes; want at least 16 bytes"},
		{[]string{"ocean", "clicks", "--monitor-url", "http://127.0.0.1:1/m", "--count", "2", "--rate", "0"}, exitFail, "2 failed (2× connection refused)", "note: callbacks are signed with a random key"},
		{[]string{"serve", "--callback-key", "abc"}, exitUsage, "", "--callback-key: not hex; want at least 16 bytes"},
		{[]string{"ocean", "nope"}, exitUsage, "", `unknown subcommand "nope" (want catalog, event-types, macros, clicks, report or export)`},
		{[]string{"ocean", "catalog"}, exitOK, "| 11 | 40004 |", ""},
		{[]string{"serve", "--lenient", "--strict"}, exitUsage, "", "--lenient and --strict: choose one"},
		{[]string{"ocean", "event-types", "--json"}, exitOK, `"name": "激活"`, ""},
		{[]string{"version"}, exitOK, "postbacksim dev", ""},
		{[]string{"impact"}, exitUsage, "", "impact events|render|simulate"},
		{[]string{"impact", "nope"}, exitUsage, "", `unknown subcommand "nope"`},
		{[]string{"impact", "events", "--event", "action_cleared"}, exitOK, "{LedgerDate}", ""},
		{[]string{"impact", "events", "--event", "action_inquiry"}, exitOK, "statuses (--status): PENDING, APPROVED, REJECTED; default PENDING", ""},
		{[]string{"impact", "events", "--event", "publisher_application", "--json"}, exitOK, `"status": "RETRACTED"`, ""},
		{[]string{"impact", "events", "--event", "x"}, exitUsage, "", `unknown event "x"`},
		{[]string{"impact", "render", "--event", "job_completed", "--method", "GET", "--url", "https://b.example/j?id={JobId}"}, exitOK, "GET https://b.example/j?id=", ""},
		{[]string{"impact", "render", "--url", "https://b/{Nope}"}, exitUsage, "", `field url: url:1:11: unknown field "Nope"`},
		{[]string{"impact", "render", "--method", "PUT"}, exitUsage, "", `field method: "PUT"`},
		{[]string{"impact", "render", "--header", "nocolon"}, exitUsage, "", `"nocolon": want Name: value`},
		{[]string{"impact", "render", "--body-template", "/nonexistent.tpl"}, exitUsage, "", "no such file"},
		{[]string{"impact", "render", "--method", "GET", "--body-format", "none", "--url", "https://b/x?s={Status}", "--status", "REVERSED"}, exitOK, "GET https://b/x?s=REVERSED", ""},
		{[]string{"impact", "render", "--event", "action_inquiry", "--url", "https://b/x", "--status", "REJECTED"}, exitOK, `"ResolutionStatus":"REJECTED"`, ""},
		{[]string{"impact", "render", "--status", "APPROVED"}, exitUsage, "", `--status: status "APPROVED" is not a status of action_lifecycle (want TRACKED, MODIFIED, REVERSED)`},
		{[]string{"impact", "render", "--event", "job_completed", "--status", "PENDING"}, exitUsage, "", "job_completed has no status"},
		{[]string{"impact", "simulate", "--event", "publisher_application", "--status", "RETRACTED", "--responses", "200"}, exitOK, "outcome: delivered after 1 attempt(s)", ""},
		{[]string{"impact", "simulate", "--event", "publisher_application", "--responses", "200"}, exitOK, "update delivery (the PENDING application's empty data points filled), fired 1h0m0s after the first: delivered after 1 attempt(s)", ""},
		{[]string{"impact", "simulate", "--status", "NOPE"}, exitUsage, "", `--status: status "NOPE" is not a status of action_lifecycle`},
		{[]string{"impact", "render", "--url", "ftp://x/y"}, exitUsage, "", `field url: invalid URL "ftp://x/y": scheme "ftp": want http or https`},
		{[]string{"impact", "render", "--url", "https://x/%zz/{ActionId}"}, exitOK, "POST https://x/%zz/ACT-", "impact would not send this"},
		{[]string{"impact", "render", "--header", "X-A: a\rb"}, exitUsage, "", "field headers: header X-A: the value holds a line break"},
		{[]string{"impact", "simulate", "--responses", "500,abc"}, exitUsage, "", `--responses: response 2 "abc": fault "abc"`},
		{[]string{"impact", "simulate", "--success", "999"}, exitUsage, "", `--success: "999": want an HTTP status`},
		{[]string{"impact", "simulate", "--format", "yaml"}, exitUsage, "", `--format: "yaml" is not text or json`},
		{[]string{"impact", "simulate", "--responses", "dns"}, exitOK, "outcome: dns_failure after 1 attempt(s)", ""},
		{[]string{"impact", "simulate", "--url", "https://x/%zz/{ActionId}", "--responses", "200"}, exitOK, "outcome: invalid_url after 1 attempt(s)", ""},
		{[]string{"serve", "--time-scale", "0"}, exitUsage, "", "--time-scale: 0: want a positive number"},
		{[]string{"serve", "--addr", "x"}, exitUsage, "", `--addr: "x": want HOST:PORT`},
		{[]string{"certify", "impact", "--target", "http://127.0.0.1:1/pb?x={Bogus}"}, exitUsage, "", `--target: postback: field url: url:1:25: unknown field "Bogus"`},
		{[]string{"serve", "--extra-event-types", "1001=trial_start,2=pay"}, exitUsage, "", "--extra-event-types: entry 2 (2=pay): 2 is a documented event type (付费 payment)"},
		{[]string{"serve", "--cors-origins", "https://a.example,a.example"}, exitUsage, "", `--cors-origins: entry 2 "a.example": want an origin like https://brand.example`},
		{[]string{"serve", "--public-url", "ftp://x"}, exitUsage, "", `--public-url: "ftp://x": want http(s)://HOST`},
		{[]string{"run"}, exitUsage, "", "name at least one scenario file or folder"},
		{[]string{"schema"}, exitOK, `"title": "postbacksim scenario"`, ""},
		{[]string{"schema", "--report"}, exitOK, `"title": "postbacksim run report (--format json)"`, ""},
		{[]string{"run", "--tolerance", "-1s", "../../scenarios"}, exitUsage, "", "--tolerance: -1s is negative"},
		{[]string{"run", "--parallel", "-1", "../../scenarios"}, exitUsage, "", "--parallel: -1 is negative (0: one per CPU)"},
		{[]string{"run", "--time-scale", "5", "../../scenarios"}, exitUsage, "", "--time-scale applies to live runs: give --target URL too"},
		{[]string{"impact", "render", "--format", "none", "--body-format", "json"}, exitUsage, "", "--format is the old name of --body-format: give --body-format only"},
		{[]string{"run", "../../scenarios"}, exitOK, "passed, 0 failed", ""},
		{[]string{"run", "../../runner/testdata/mixed"}, exitFail, "2 passed, 2 failed", ""},
		{[]string{"run", "../../runner/testdata/invalid"}, exitUsage, `unknown key "recever" (did you mean "receiver"?)`, ""},
		{[]string{"run", "--format", "tap", "x"}, exitUsage, "", `--format: "tap" is not text, json or junit`},
		{[]string{"run", "nowhere"}, exitUsage, "", "nowhere"},
		{[]string{"validate", "../../scenarios"}, exitOK, "ok  ../../scenarios/impact/min-delay.yaml", ""},
		{[]string{"validate", "../../scenarios/testdata/broken/unknown-key.yaml"}, exitUsage, "", "unknown-key.yaml:5:3: impact.recever: unknown key"},
	}
	for _, c := range cases {
		code, out, errs := runCLI(c.args...)
		if code != c.code || !strings.Contains(out, c.inStdout) || !strings.Contains(errs, c.inStderr) {
			t.Errorf("postbacksim %v: exit %d (want %d)\nstdout: %s\nstderr: %s", c.args, code, c.code, out, errs)
		}
	}
}

func TestRenderBodyTemplateErrorNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "body.tpl")
	os.WriteFile(path, []byte("{\"aid\":\"{ActionId}\",\n \"amount\":{Amount\n}"), 0o644)
	code, _, errs := runCLI("impact", "render", "--body-template", path)
	if want := path + ":2:18: expected '}' to close the macro {Amount opened at 2:11"; code != exitUsage || !strings.Contains(errs, want) {
		t.Fatalf("exit %d, stderr %s; want %s", code, errs, want)
	}
	os.WriteFile(path, []byte(`{"aid":"{ActionId}","skus":[{join(items, i, "\"{i.sku}\"")}]}`), 0o644)
	code, out, errs := runCLI("impact", "render", "--body-template", path, "--seed", "3")
	body := out[strings.Index(out, "\n\n")+2:]
	var got struct {
		Aid  string
		Skus []string
	}
	if code != exitOK || json.Unmarshal([]byte(body), &got) != nil || got.Aid == "" || len(got.Skus) == 0 {
		t.Fatalf("exit %d %s\n%s", code, errs, out)
	}
}

func TestSimulatePrintsTheDocumentedOffsets(t *testing.T) {
	code, out, errs := runCLI("impact", "simulate", "--responses", "500", "--format", "json")
	var sim simulation
	if code != exitOK || json.Unmarshal([]byte(out), &sim) != nil {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	var got []float64
	for i, a := range sim.Attempts {
		got = append(got, a.OffsetSeconds)
		if a.N != i+1 || a.Outcome != "http_error" || a.Status != 500 || a.Retry != (i < 15) {
			t.Fatalf("attempt %+v", a)
		}
	}
	want := []float64{0, 15, 30, 45, 225, 405, 1305, 2205, 3105, 10305, 17505, 24705, 46305, 67905, 89505, 111105}
	if !slices.Equal(want, got) || sim.Outcome != "exhausted" {
		t.Fatalf("offsets %v, outcome %s", got, sim.Outcome)
	}
	code, out, _ = runCLI("impact", "simulate", "--responses", "500,timeout,200:ERROR,200", "--error", "ERROR")
	for _, want := range []string{"1  0s ", "2  15s", "3  1m0s", "4  1m15s", "network_error (timeout)", "error_response (200 \"ERROR\")", "outcome: delivered after 4 attempt(s) over 1m15s"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestSimulateLive(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		w.Write([]byte("OK"))
	}))
	defer srv.Close()
	code, out, errs := runCLI("impact", "simulate", "--url", srv.URL+"/pb?aid={ActionId}", "--method", "GET", "--body-format", "none",
		"--success", "OK", "--time-scale", "100", "--format", "json")
	var sim simulation
	if code != exitOK || json.Unmarshal([]byte(out), &sim) != nil || sim.Outcome != "delivered" || len(sim.Attempts) != 2 || hits.Load() != 2 {
		t.Fatalf("exit %d, %d hits: %s %s", code, hits.Load(), out, errs)
	}
	// Never early; late only by real scheduling delay × 100 (loose, so a
	// loaded machine passes, tight enough to catch broken scaling).
	if off := sim.Attempts[1].OffsetSeconds; off < 15 || off > 45 {
		t.Fatalf("second attempt at %vs (scaled), want 15s plus a little", off)
	}
}

func TestRunWritesJUnitToFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.xml")
	code, stdout, stderr := runCLI("run", "--format", "junit", "--out", out, "../../runner/testdata/mixed")
	b, err := os.ReadFile(out)
	if code != exitFail || err != nil || !strings.Contains(string(b), `<testsuites name="postbacksim" tests="4" failures="2" errors="0" time="`) {
		t.Fatalf("exit %d, %v\n%s\n%s%s", code, err, b, stdout, stderr)
	}
	if !strings.Contains(stdout, "2 passed, 2 failed, 0 invalid: report in ") {
		t.Fatalf("stdout %q", stdout)
	}
}

func TestServeAnswersAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	t.Setenv("POSTBACKSIM_LOG_FORMAT", "json") // set through the environment
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--admin-token", "t0k", "--access-log"}, io.Discard, &stderr)
	}()

	base := loggedURL(t, &stderr, regexp.MustCompile(`"url":"(http://127\.0\.0\.1:\d+)"`))
	if code, _, errs := runCLI("healthcheck", "--url", base+"/healthz"); code != exitOK {
		t.Errorf("healthcheck of a running server: %d %s", code, errs)
	}
	if resp, err := http.Get(base + "/_admin/ocean/requests"); err != nil || resp.StatusCode != 401 {
		t.Errorf("admin without the token: %v %v", err, resp.StatusCode)
	}
	for path, want := range map[string]string{
		"/healthz": `{"status":"ok"}`,
		"/track/activate/?callback=c&idfa=i&event_type=0": `{"code":0,"ret":0,"msg":"success"}`,
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %s", path, b)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"path":"/track/activate/"`) || !strings.Contains(logs, `"code":0`) || !strings.Contains(logs, `"msg":"stopped"`) {
		t.Fatalf("logs:\n%s", logs)
	}
}

// TestOneCrashingFileStillWritesTheReport: eight valid scenarios and the
// file that crashed goccy/go-yaml v1.19.2 (a tag over an empty list): the
// eight pass, the ninth is invalid, and the JUnit report is written.
func TestOneCrashingFileStillWritesTheReport(t *testing.T) {
	dir := t.TempDir()
	library, err := filepath.Glob("../../scenarios/impact/*.yaml")
	if err != nil || len(library) < 8 {
		t.Fatalf("%d library files, %v", len(library), err)
	}
	for _, f := range library[:8] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "crasher.yaml"), []byte("name: x\nocean:\n  steps: !foo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.xml")
	code, stdout, stderr := runCLI("run", "--format", "junit", "--out", out, dir)
	b, err := os.ReadFile(out)
	if code != exitUsage || err != nil || !strings.Contains(string(b), `tests="9" failures="0" errors="1"`) ||
		!strings.Contains(string(b), "crasher.yaml:3:10: ocean.steps: tag !foo on an empty value") {
		t.Fatalf("exit %d, %v\n%s\n%s%s", code, err, b, stdout, stderr)
	}
	if !strings.Contains(stdout, "8 passed, 0 failed, 1 invalid: report in ") {
		t.Fatalf("stdout %q", stdout)
	}
}

// loggedURL waits (5 s at most, in real time: the server runs for real)
// for serve to log the URL it listens on, as urlRE's first group.
func loggedURL(t *testing.T, stderr *syncBuffer, urlRE *regexp.Regexp) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("server did not log its URL:\n%s", stderr.String())
	return ""
}
