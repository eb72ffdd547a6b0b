package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCertifyImpactExitCodes: 0 when nothing fails, 1 when a check fails,
// 2 for usage errors; --out writes the report to a file.
func TestCertifyImpactExitCodes(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "OK")
	}))
	defer ok.Close()
	code, out, errs := runCLI("certify", "impact", "--target", ok.URL+"/pb", "--event", "job_completed", "--success", "OK")
	if code != exitOK || !strings.Contains(out, "0 failed") {
		t.Fatalf("correct receiver: exit %d\n%s%s", code, out, errs)
	}
	// --success names a text the receiver does not send: every check is unconfirmed.
	code, out, _ = runCLI("certify", "impact", "--target", ok.URL+"/pb", "--event", "job_completed", "--success", "ACCEPTED")
	if code != exitFail || !strings.Contains(out, "unconfirmed") {
		t.Fatalf("unconfirmed: exit %d\n%s", code, out)
	}
	file := filepath.Join(t.TempDir(), "report.json")
	code, out, errs = runCLI("certify", "impact", "--target", ok.URL+"/pb", "--event", "action_cleared", "--method", "GET", "--format", "json", "--out", file)
	if code != exitOK || out != "" || !strings.Contains(errs, "report in "+file) {
		t.Fatalf("--out: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Target string `json:"target"`
		Checks []struct {
			ID, Event, Result, Why string
			Request                struct{ Method, URL string }
			Response               struct{ Status int }
		} `json:"checks"`
		Passed, Warned, Failed int
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Target != ok.URL+"/pb" || len(rep.Checks) == 0 || rep.Passed != len(rep.Checks) {
		t.Fatalf("report %+v", rep)
	}
	for _, c := range rep.Checks {
		if c.Request.Method != "GET" || c.Response.Status != 200 || c.Why == "" {
			t.Errorf("check %+v", c)
		}
	}
	for _, args := range [][]string{
		{"certify", "impact"},
		{"certify", "impact", "--target", "ftp://x"},
		{"certify", "impact", "--target", ok.URL, "--event", "nope"},
		{"certify", "impact", "--target", ok.URL, "--method", "PUT"},
		{"certify", "impact", "--target", ok.URL, "--format", "pdf"},
		{"certify", "impact", "--target", ok.URL, "--success", "999"},
		{"certify", "impact", "--target", ok.URL, "--time-scale", "0"},
		{"certify"},
	} {
		if code, _, errs := runCLI(args...); code != exitUsage || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	// Each error names what is wrong, not something else.
	for args, want := range map[string]string{
		"--target " + ok.URL + " --event action_lifecyle": `--event "action_lifecyle": not one of action_lifecycle`,
		"--target 127.0.0.1:9/pb":                         `(did you mean "http://127.0.0.1:9/pb"?)`,
	} {
		code, _, errs := runCLI(append([]string{"certify", "impact"}, strings.Fields(args)...)...)
		if code != exitUsage || !strings.Contains(errs, want) || strings.Contains(errs, "first path segment") {
			t.Errorf("%s: exit %d, %q; want 2 and %q", args, code, errs, want)
		}
	}
}

// TestCertifySeedPerRun: without --seed each run draws its own, so a
// receiver that remembers the ActionIds it saw is not sent them again by
// a second run; the seed is in every format, and --seed with it sends
// the same payloads again.
func TestCertifySeedPerRun(t *testing.T) {
	remembering := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "OK")
	}))
	defer remembering.Close()
	seedOf := func(args ...string) (int64, string) {
		t.Helper()
		code, out, errs := runCLI(append([]string{"certify", "impact", "--target", remembering.URL + "/pb", "--event", "action_cleared", "--method", "GET", "--format", "json"}, args...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var rep struct {
			Seed   int64
			Checks []struct{ Request struct{ URL string } }
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Seed == 0 || len(rep.Checks) == 0 {
			t.Fatalf("report: %v %s", err, out)
		}
		return rep.Seed, rep.Checks[0].Request.URL
	}
	s1, u1 := seedOf()
	s2, u2 := seedOf()
	if s1 == s2 || u1 == u2 {
		t.Errorf("two runs: seeds %d and %d, first requests %q and %q; want each run its own", s1, s2, u1, u2)
	}
	s3, u3 := seedOf("--seed", strconv.FormatInt(s1, 10))
	if s3 != s1 || u3 != u1 {
		t.Errorf("--seed %d: seed %d, first request %q; want the first run's %q", s1, s3, u3, u1)
	}
	for _, format := range []string{"text", "html", "junit"} {
		_, out, _ := runCLI("certify", "impact", "--target", remembering.URL+"/pb", "--event", "action_cleared", "--method", "GET", "--format", format, "--seed", "42")
		if !strings.Contains(out, "42") || !strings.Contains(out, "seed") {
			t.Errorf("%s report does not say its seed:\n%.600s", format, out)
		}
	}
}
