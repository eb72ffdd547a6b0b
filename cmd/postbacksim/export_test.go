package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/runner"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
	"github.com/postbacksim/postbacksim/sandboxclient"
)

// TestOceanExportCommand: one namespace's journal, read with the admin
// token from --since on, becomes a file that postbacksim run passes.
func TestOceanExportCommand(t *testing.T) {
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.AdminToken = "s3cret" })
	srv.CreateNamespace("team-a", "")
	for _, q := range []string{"callback=c&idfa=i&event_type=2&outer_event_id=o1", "callback=c&idfa=i&event_type=2&outer_event_id=o1", "callback=c&os=1"} {
		resp, err := http.Get(srv.URL + "/ns/team-a/track/activate/?" + q)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	file := filepath.Join(t.TempDir(), "team-a.yaml")
	code, _, errs := runCLI("ocean", "export", "--url", srv.URL, "--ns", "team-a", "--token", "s3cret", "--since", "1", "--as-scenario", "-o", file)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data, _ := os.ReadFile(file)
	if !strings.Contains(string(data), "request 2:") || strings.Contains(string(data), "request 1:") {
		t.Fatalf("want requests 2 and 3 only (--since 1):\n%s", data)
	}
	rep, err := runner.RunPaths(context.Background(), []string{file}, runner.Options{})
	if err != nil || rep.ExitCode() != 0 {
		t.Fatalf("the export does not pass: %v %+v", err, rep.Results)
	}
	defer func() { // the export of a namespace that is not there did not create it
		c, _ := sandboxclient.New(srv.URL, sandboxclient.WithToken("s3cret"))
		if got, err := c.Namespaces(context.Background()); err != nil || len(got) != 2 {
			t.Errorf("namespaces after the exports: %v %v, want default and team-a", got, err)
		}
	}()
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"ocean", "export", "--url", srv.URL, "--ns", "team-a", "--as-scenario"}, exitFail, "HTTP 401"},
		{[]string{"ocean", "export", "--url", srv.URL, "--token", "s3cret"}, exitUsage, "--as-scenario"},
		{[]string{"ocean", "export", "--url", "ftp://x", "--as-scenario"}, exitUsage, "--url"},
		{[]string{"ocean", "export", "--url", srv.URL, "--lenient", "--strict", "--as-scenario"}, exitUsage, "one mode"},
		{[]string{"ocean", "export", "--url", srv.URL, "--ns", "Bad Name", "--as-scenario"}, exitUsage, "--namespace"},
		{[]string{"ocean", "export", "--url", srv.URL, "--token", "s3cret", "--as-scenario"}, exitFail, "no request"},
		{[]string{"ocean", "export", "--url", srv.URL, "--ns", "team-a", "--token", "s3cret", "--since", "99", "--as-scenario"}, exitFail, "no request numbered above --since 99: the journal holds 3"},
		{[]string{"ocean", "export", "--url", srv.URL, "--ns", "team-typo", "--token", "s3cret", "--as-scenario"}, exitFail, "no such namespace"},
		{[]string{"ocean", "export", "--url", srv.URL, "--ns", "team-a", "--token", "wrong", "--as-scenario"}, exitFail, "give the token with --token"},
	} {
		if code, _, errs := runCLI(c.args...); code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, errs, c.code, c.msg)
		}
	}
}

// TestImpactExportCommand: a delivery of the sandbox becomes a file that
// postbacksim run passes; an unknown delivery is a failure naming it.
func TestImpactExportCommand(t *testing.T) {
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) {
		script := mockimpact.NewScript(mockimpact.Step{Status: 200, Body: "OK"})
		c.Impact.Transport, c.Impact.Resolver = script, script
	})
	admin := srv.URL + mockimpact.AdminPrefix
	req, _ := http.NewRequest(http.MethodPut, admin+"/postbacks/action_lifecycle", strings.NewReader(`{"url":"https://brand.example/pb?aid={ActionId}","method":"GET","format":"none"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Post(admin+"/events/action_lifecycle", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var fired struct {
		ID string `json:"delivery_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&fired)
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Namespace(sandbox.DefaultNamespace).Impact.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "d.yaml")
	if code, _, errs := runCLI("impact", "export", "--url", srv.URL, "--delivery", fired.ID, "--as-scenario", "-o", file); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep, err := runner.RunPaths(context.Background(), []string{file}, runner.Options{})
	if err != nil || rep.ExitCode() != 0 {
		t.Fatalf("the export does not pass: %v %+v", err, rep.Results)
	}
	if code, _, errs := runCLI("impact", "export", "--url", srv.URL, "--delivery", "d999", "--as-scenario"); code != exitFail || !strings.Contains(errs, "HTTP 404") {
		t.Errorf("unknown delivery: exit %d, %s", code, errs)
	}
	if code, _, errs := runCLI("impact", "export", "--url", srv.URL, "--as-scenario"); code != exitUsage || !strings.Contains(errs, "--delivery") {
		t.Errorf("no delivery: exit %d, %s", code, errs)
	}
}
