package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

// TestOceanReportForANamespace: the command reads the lint of one
// namespace's journal, with the admin token.
func TestOceanReportForANamespace(t *testing.T) {
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.AdminToken = "s3cret" })
	send := func(path string) {
		resp, err := http.Get(srv.URL + path + "/track/activate/?callback=cb&idfa=X&os=1&event_type=2&outer_event_id=e1")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// With an admin token, traffic does not create namespaces: the admin does.
	req, _ := http.NewRequest("POST", srv.URL+sandbox.NamespacesPath, strings.NewReader(`{"name":"team-a"}`))
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating team-a: HTTP %d", resp.StatusCode)
	}
	send("/ns/team-a")
	send("/ns/team-a") // a duplicate
	send("")           // the default namespace: not team-a's

	code, out, errs := runCLI("ocean", "report", "--url", srv.URL, "--namespace", "team-a", "--token", "s3cret", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep mockocean.TrafficReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.Requests != 2 || len(rep.Findings) == 0 || rep.Findings[0].ID != "duplicate_outer_event_id" || rep.Findings[0].Seqs[0] != 2 {
		t.Fatalf("report %+v", rep)
	}
	code, out, _ = runCLI("ocean", "report", "--url", srv.URL, "--token", "s3cret")
	if code != exitOK || !strings.Contains(out, "1 requests") || !strings.Contains(out, "unattributed_callback") {
		t.Fatalf("default namespace, text: exit %d\n%s", code, out)
	}
	if code, _, errs := runCLI("ocean", "report", "--url", srv.URL); code != exitFail || !strings.Contains(errs, "HTTP 401") {
		t.Errorf("no token: exit %d, %s", code, errs)
	}
	for _, args := range [][]string{
		{"ocean", "report"},
		{"ocean", "report", "--url", "127.0.0.1:8080"},
		{"ocean", "report", "--url", srv.URL, "--since", "yesterday"},
		{"ocean", "report", "--url", srv.URL, "--format", "pdf"},
		{"ocean", "report", "--url", srv.URL, "--namespace", "Team A"},
		{"ocean", "report", "--url", srv.URL, "--fail-on", "warnings"},
	} {
		if code, _, errs := runCLI(args...); code != exitUsage || errs == "" {
			t.Errorf("%v: exit %d, %s", args, code, errs)
		}
	}
}

// TestOceanReportFailsOn: traffic in which every request was rejected
// (40001, 40003, 40005, 40009, a malformed body) makes a finding of each,
// and the command exits 1 at --fail-on error (the default) and 0 with
// --fail-on never; clean traffic exits 0. JUnit has a failed testcase per
// finding kind and a passing one per other rule.
func TestOceanReportFailsOn(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	get := func(q string) {
		resp, err := http.Get(srv.URL + "/track/activate/?" + q)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get("callback=cb&idfa=X&os=1&event_type=2&outer_event_id=ok-1")
	if code, out, errs := runCLI("ocean", "report", "--url", srv.URL); code != exitOK {
		t.Fatalf("clean traffic: exit %d\n%s%s", code, out, errs)
	}
	get("idfa=X&os=1&event_type=2&outer_event_id=r1")                                      // 40001
	get("callback=cb&idfa=X&os=1&event_type=2&outer_event_id=" + strings.Repeat("x", 201)) // 40003
	get("callback=cb&idfa=X&os=1&outer_event_id=r3")                                       // 40005
	get("callback=cb&idfa=X&os=1&event_type=2&outer_event_id=r4&props=nope")               // 40009
	resp, err := http.Post(srv.URL+"/track/activate/", "application/json", strings.NewReader(`{"callback":`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, out, errs := runCLI("ocean", "report", "--url", srv.URL)
	if code != exitFail || !strings.Contains(errs, "--fail-on error") {
		t.Fatalf("all-rejected traffic: exit %d, %s\n%s", code, errs, out)
	}
	for _, id := range []string{"rejected_40001", "rejected_40003", "event_type_absent", "rejected_40009", "malformed_body"} {
		if !strings.Contains(out, id) {
			t.Errorf("the report lacks %s:\n%s", id, out)
		}
	}
	if code, _, _ := runCLI("ocean", "report", "--url", srv.URL, "--fail-on", "never"); code != exitOK {
		t.Errorf("--fail-on never: exit %d", code)
	}
	code, out, _ = runCLI("ocean", "report", "--url", srv.URL, "--format", "junit")
	if code != exitFail || !strings.HasPrefix(out, "<?xml") || strings.Count(out, "<failure ") != 5 ||
		strings.Count(out, "<testcase ") != len(mockocean.LintRules()) {
		t.Errorf("junit: exit %d, %d failures, %d testcases (want 5 and %d)\n%s", code, strings.Count(out, "<failure "), strings.Count(out, "<testcase "), len(mockocean.LintRules()), out)
	}
}
