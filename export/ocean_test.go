package export_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/export"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/runner"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/scenarios"
)

// send sends one request to the sandbox and returns its status.
func send(t *testing.T, method, url, ctype, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// getJSON decodes GET url into v.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// exportOcean fetches the sandbox's journal and fault rules and exports
// them, through YAML and the loader as postbacksim run reads the file.
func exportOcean(t *testing.T, base string, opts export.OceanOptions) (*scenarios.Scenario, *export.OceanResult) {
	t.Helper()
	var j struct {
		Requests []mockocean.Request `json:"requests"`
	}
	var f struct {
		Faults []mockocean.Fault `json:"faults"`
	}
	getJSON(t, base+mockocean.AdminPrefix+"/requests", &j)
	getJSON(t, base+mockocean.AdminPrefix+"/faults", &f)
	opts.Faults = f.Faults
	res, err := export.Ocean(j.Requests, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Marshal(res.Scenario)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Parse("exported.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return sc, res
}

func failureNaming(r runner.Result, text string) bool {
	for _, f := range r.Failures {
		if strings.Contains(f.Message, text) {
			return true
		}
	}
	return false
}

// Real traffic to an in-process sandbox, exported, runs green; the same
// scenario under another mode, or without the fault that shaped an
// answer, fails naming the request whose answer differs.
func TestOceanRoundTrip(t *testing.T) {
	srv := httptest.NewServer(sandbox.New(sandbox.Config{SummaryEvery: -1}))
	defer srv.Close()
	track, v2 := srv.URL+mockocean.ActivatePath, srv.URL+mockocean.V2Path
	send(t, http.MethodGet, track+"?callback=c&idfa=i&event_type=2&outer_event_id=o-1", "", "")                              // 1 good
	send(t, http.MethodPost, track, "application/json", `{"callback":"c","idfa":"i","event_type":2,"outer_event_id":"o-1"}`) // 2 duplicate
	send(t, http.MethodGet, track+"?callback=c&os=1&event_type=2", "", "")                                                   // 3 rejected
	send(t, http.MethodGet, track+"?callback=c&os=ios&muid=m&event_type=0", "", "")                                          // 4 warned
	v2Body := `{"event_type":"active_pay","context":{"ad":{"callback":"c"}},"timestamp":1764988800123,"outer_event_id":"v-1"}`
	send(t, http.MethodPost, v2, "application/json", v2Body)                                                                  // 5 v2
	send(t, http.MethodPost, v2, "application/json", v2Body)                                                                  // 6 v2 duplicate
	send(t, http.MethodPost, track, "application/x-www-form-urlencoded", "callback=c&idfa=i&event_type=2&outer_event_id=o-2") // 7 form

	sc, res := exportOcean(t, srv.URL, export.OceanOptions{Source: srv.URL})
	if res.Requests != 7 || len(res.Skipped) != 0 {
		t.Fatalf("exported %d request(s), skipped %v; want 7, none", res.Requests, res.Skipped)
	}
	if r := runner.Run(context.Background(), sc, runner.Options{}); r.Status != runner.Pass {
		t.Fatalf("the exported scenario fails: %v\n%s", r.Failures, r.Timeline)
	}

	// Strict mode makes request 4's warning an error.
	strict := *sc
	o := *sc.Ocean
	o.Strict = true
	strict.Ocean = &o
	r := runner.Run(context.Background(), &strict, runner.Options{})
	if r.Status != runner.Fail || !failureNaming(r, "request 4:") || failureNaming(r, "request 1:") {
		t.Fatalf("strict: want a failure naming request 4 only, got %v", r.Failures)
	}

	// A fault rule answers request 8 with 503: exported, the scenario
	// plays the rule; without that step, request 8 fails.
	fault := `{"status":503,"times":1}`
	if got := send(t, http.MethodPost, srv.URL+mockocean.AdminPrefix+"/faults", "application/json", fault); got != http.StatusCreated {
		t.Fatalf("adding the fault: HTTP %d", got)
	}
	send(t, http.MethodGet, track+"?callback=c&idfa=i&event_type=2&outer_event_id=o-3", "", "") // 8 faulted
	send(t, http.MethodGet, track+"?callback=c&idfa=i&event_type=2&outer_event_id=o-3", "", "") // 9 good: the fault spent no id
	sc, _ = exportOcean(t, srv.URL, export.OceanOptions{})
	if r := runner.Run(context.Background(), sc, runner.Options{}); r.Status != runner.Pass {
		t.Fatalf("the exported scenario with a fault fails: %v\n%s", r.Failures, r.Timeline)
	}
	var steps []scenarios.OceanStep
	for _, st := range sc.Ocean.Steps {
		if st.Fault == nil {
			steps = append(steps, st)
		}
	}
	if len(steps) != len(sc.Ocean.Steps)-1 {
		t.Fatalf("want one fault step, got %d", len(sc.Ocean.Steps)-len(steps))
	}
	sc.Ocean.Steps = steps
	r = runner.Run(context.Background(), sc, runner.Options{})
	if r.Status != runner.Fail || !failureNaming(r, "request 8:") {
		t.Fatalf("without the fault: want a failure naming request 8, got %v", r.Failures)
	}
}

func TestOceanExportRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		reqs []mockocean.Request
		opts export.OceanOptions
		want string
	}{
		{"nothing", nil, export.OceanOptions{}, "no request"},
		{"both modes", []mockocean.Request{{Seq: 1}}, export.OceanOptions{Lenient: true, Strict: true}, "lenient and strict"},
		{"fault gone", []mockocean.Request{{Seq: 3, Method: "GET", Path: mockocean.ActivatePath, Status: 503, Fault: "f9"}}, export.OceanOptions{},
			"request 3 was answered by fault rule f9, which the sandbox no longer holds"},
		{"only a 413", []mockocean.Request{{Seq: 2, Method: "POST", Path: mockocean.ActivatePath, Status: 413}}, export.OceanOptions{},
			"request 2: answered 413"},
	} {
		if _, err := export.Ocean(c.reqs, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// A request that cannot be sent again is left out, named in Skipped and
// in the description; a long pause becomes an advance step.
func TestOceanExportSkipsAndAdvances(t *testing.T) {
	code := 0
	ok := mockocean.Request{Method: "GET", Path: mockocean.ActivatePath, Query: "callback=c&idfa=i", Status: 200, Answered: true, Code: code, Msg: "success"}
	a, b, c := ok, mockocean.Request{Seq: 2, Method: "POST", Path: mockocean.ActivatePath, Status: 413}, ok
	a.Seq, c.Seq = 1, 3
	c.Time = a.Time.Add(25 * 3600e9)
	res, err := export.Ocean([]mockocean.Request{a, b, c}, export.OceanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 2 || len(res.Skipped) != 1 || res.Skipped[0].Seq != 2 || !strings.Contains(res.Scenario.Description, "Request 2 is left out") {
		t.Fatalf("result %+v", res)
	}
	steps := res.Scenario.Ocean.Steps
	if len(steps) != 3 || steps[1].Advance.String() != "25h0m0s" {
		t.Fatalf("steps %+v: want request, advance 25h, request", steps)
	}
}
