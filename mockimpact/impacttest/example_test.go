package impacttest_test

import (
	"fmt"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/exampletb"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/impacttest"
)

// A test dispatcher runs the retry schedule on a virtual clock: a receiver
// that fails twice, then times out, then answers OK, in no real time.
func ExampleNewDispatcher() {
	t := &exampletb.T{} // in a test: the *testing.T you are given
	defer t.Done()
	d := impacttest.NewDispatcher(t, mockimpact.Postback{
		Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}", Method: "GET",
		Success: mockimpact.Matcher{Text: "OK"},
	}, impacttest.WithScript(
		mockimpact.Step{Status: 500}, mockimpact.Step{Status: 503},
		mockimpact.Step{Fault: mockimpact.FaultTimeout}, mockimpact.Step{Body: "OK"},
	))
	d.FireGenerated("action_lifecycle", 1)
	d.RunUntilIdle()
	dl := d.Only()
	fmt.Println(dl.Outcome, dl.Offsets(), dl.Outcomes())
	// Output: delivered [0s 15s 30s 1m15s] [http_error http_error network_error delivered]
}

// One delivery can play its own script while the others use the
// script's steps: here the second of three events meets a host that does
// not resolve, which is never retried.
func ExampleDispatcher_perDeliveryScript() {
	t := &exampletb.T{} // in a test: the *testing.T you are given
	defer t.Done()
	d := impacttest.NewDispatcher(t, mockimpact.Postback{
		Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}", Method: "GET",
	}, impacttest.WithScript(mockimpact.Step{Status: 200}))
	d.FireGenerated("action_lifecycle", 1)
	second := d.FireGenerated("action_lifecycle", 2)
	d.FireGenerated("action_lifecycle", 3)
	d.Script.ForDelivery(second, mockimpact.Step{Fault: mockimpact.FaultDNS})
	d.RunUntilIdle()
	for _, dl := range d.Deliveries() {
		fmt.Println(dl.ID, dl.Outcome, len(dl.Attempts))
	}
	// Output:
	// d000001 delivered 1
	// d000002 dns_failure 1
	// d000003 delivered 1
}

// FireGeneratedWith picks the status: one seed is one action, tracked and
// then reversed.
func ExampleDispatcher_FireGeneratedWith() {
	t := &exampletb.T{} // in a test: the *testing.T you are given
	defer t.Done()
	d := impacttest.NewDispatcher(t, mockimpact.Postback{
		Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}&s={Status}&amount={Amount}", Method: "GET", Format: "none",
	}, impacttest.WithScript(mockimpact.Step{Status: 200}))
	d.FireGeneratedWith("action_lifecycle", fixtures.GenOptions{Seed: 7})
	d.FireGeneratedWith("action_lifecycle", fixtures.GenOptions{Seed: 7, Status: fixtures.ActionReversed})
	d.RunUntilIdle()
	for _, dl := range d.Deliveries() {
		fmt.Println(dl.Request.URL)
	}
	// Output:
	// https://brand.example/pb?aid=ACT-964606&s=TRACKED&amount=109.23
	// https://brand.example/pb?aid=ACT-964606&s=REVERSED&amount=0.00
}
