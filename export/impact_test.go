package export_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/export"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/runner"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/scenarios"
)

// request sends method url with a JSON body and decodes the answer into
// v (when not nil), failing unless the status is want.
func request(t *testing.T, method, url, body string, want int, v any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: HTTP %d, want %d", method, url, resp.StatusCode, want)
	}
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
}

// A delivery made by an in-process sandbox (a receiver answering 500
// after 1.5s, timing out, then 200), exported, runs green; the scenario
// with another answer fails on the offsets and outcomes.
func TestImpactRoundTrip(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript(mockimpact.Step{Status: 500, Body: "busy", Delay: clock.Duration(1500 * time.Millisecond)},
		mockimpact.Step{Fault: mockimpact.FaultTimeout}, mockimpact.Step{Status: 200, Body: "OK"})
	sb := sandbox.New(sandbox.Config{SummaryEvery: -1, Impact: mockimpact.Options{Clock: vc, Transport: script, Resolver: script}})
	srv := httptest.NewServer(sb)
	defer func() { srv.Close(); sb.Close() }()
	admin := srv.URL + mockimpact.AdminPrefix
	request(t, http.MethodPut, admin+"/postbacks/action_lifecycle",
		`{"url":"https://brand.example/pb?aid={ActionId}","method":"GET","format":"none","success":"OK"}`, http.StatusOK, nil)
	var fired struct {
		ID string `json:"delivery_id"`
	}
	request(t, http.MethodPost, admin+"/events/action_lifecycle", "", http.StatusAccepted, &fired)
	if err := vc.Settle(); err != nil {
		t.Fatal(err)
	}
	var d mockimpact.Delivery
	getJSON(t, admin+"/deliveries/"+fired.ID, &d)
	var pbs struct {
		Postbacks []mockimpact.Postback `json:"postbacks"`
	}
	getJSON(t, admin+"/postbacks", &pbs)
	if len(pbs.Postbacks) != 1 {
		t.Fatalf("postbacks %+v", pbs)
	}

	sc, err := export.Impact(d, export.ImpactOptions{Postback: &pbs.Postbacks[0]})
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	if sc, err = scenarios.Parse("exported.yaml", b); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	want := []string{"0s", "16.5s", "1m1.5s"} // 1.5s + 15s; then the 30s timeout + 15s
	var got []string
	for _, o := range sc.Impact.Expect.Offsets {
		got = append(got, o.String())
	}
	if strings.Join(got, " ") != strings.Join(want, " ") || sc.Impact.Expect.Outcome != "delivered" || sc.Impact.Postback.URL != "{receiver}/pb?aid={ActionId}" {
		t.Fatalf("exported:\n%s", b)
	}
	if r := runner.Run(context.Background(), sc, runner.Options{}); r.Status != runner.Pass {
		t.Fatalf("the exported scenario fails: %v\n%s\n%s", r.Failures, r.Timeline, b)
	}

	sc.Impact.Receiver[1] = mockimpact.Step{Status: 200, Body: "OK"} // the receiver no longer times out
	r := runner.Run(context.Background(), sc, runner.Options{})
	var paths []string
	for _, f := range r.Failures {
		paths = append(paths, f.Path)
	}
	if r.Status != runner.Fail || !strings.Contains(strings.Join(paths, " "), "impact.expect.outcomes") {
		t.Fatalf("altered receiver: want a failure on the outcomes, got %v", r.Failures)
	}
}

func TestImpactExportRefuses(t *testing.T) {
	req := &mockimpact.Rendered{Method: "GET", URL: "https://b.example/pb"}
	for _, c := range []struct {
		name string
		d    mockimpact.Delivery
		cfg  *mockimpact.Postback
		want string
	}{
		{"pending", mockimpact.Delivery{ID: "d1", Outcome: mockimpact.DeliveryPending, Request: req}, nil, "delivery d1 is still pending"},
		{"no attempt", mockimpact.Delivery{ID: "d2", Outcome: mockimpact.DeliveryDelivered, Request: req}, nil, "delivery d2 has no attempt"},
		{"host template", mockimpact.Delivery{ID: "d3", Outcome: mockimpact.DeliveryDelivered, Request: req, Attempts: []mockimpact.Attempt{{N: 1, Status: 200, Outcome: mockimpact.OutcomeDelivered}}},
			&mockimpact.Postback{URL: "https://{BrandHost}/pb"}, "is a template"},
	} {
		if _, err := export.Impact(c.d, export.ImpactOptions{Postback: c.cfg}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// Without the configuration, the recorded URL is sent as is; network
// errors are played by the scripted faults.
func TestImpactExportWithoutConfiguration(t *testing.T) {
	d := mockimpact.Delivery{ID: "d9", Event: "action_lifecycle", Outcome: mockimpact.DeliveryDelivered,
		Request: &mockimpact.Rendered{Method: "GET", URL: "https://b.example/pb?aid=A-1&x=%7B"},
		Attempts: []mockimpact.Attempt{
			{N: 1, Outcome: mockimpact.OutcomeNetworkError, ErrorKind: mockimpact.ErrKindRefused},
			{N: 2, Outcome: mockimpact.OutcomeNetworkError, ErrorKind: mockimpact.ErrKindTLS},
			{N: 3, Status: 204, Outcome: mockimpact.OutcomeDelivered},
		}}
	sc, err := export.Impact(d, export.ImpactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	if r := runner.Run(context.Background(), sc, runner.Options{}); r.Status != runner.Pass {
		t.Fatalf("fails: %v\n%s", r.Failures, b)
	}
	if got := sc.Impact.Receiver; got[0].Fault != "refused" || got[1].Fault != "reset" || sc.Impact.Postback.URL != "{receiver}/pb?aid=A-1&x=%7B" {
		t.Fatalf("exported:\n%s", b)
	}
}
