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
	} {
		if code, _, errs := runCLI(args...); code != exitUsage || errs == "" {
			t.Errorf("%v: exit %d, %s", args, code, errs)
		}
	}
}
