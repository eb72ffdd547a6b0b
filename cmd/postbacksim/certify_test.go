package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
}
