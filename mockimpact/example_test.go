package mockimpact_test

import (
	"fmt"
	"testing"

	"github.com/postbacksim/postbacksim/mockimpact"
)

// A test dispatcher runs the retry schedule on a virtual clock: a receiver
// that fails twice, then times out, then answers OK, in no real time.
func ExampleNewTestDispatcher() {
	t := &testing.T{} // in a real test, the *testing.T you are given
	td := mockimpact.NewTestDispatcher(t, mockimpact.Postback{
		Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}", Method: "GET",
		Success: mockimpact.Matcher{Text: "OK"},
	}, mockimpact.WithScript(
		mockimpact.Step{Status: 500}, mockimpact.Step{Status: 503},
		mockimpact.Step{Fault: mockimpact.FaultTimeout}, mockimpact.Step{Body: "OK"},
	))
	td.FireGenerated("action_lifecycle", 1)
	td.RunUntilIdle()
	d := td.Only()
	fmt.Println(d.Outcome, d.Offsets(), d.Outcomes())
	// Output: delivered [0s 15s 30s 1m15s] [http_error http_error network_error delivered]
}

// One delivery can play its own script while the others use the
// script's steps: here the second of three events meets a host that does
// not resolve, which is never retried.
func ExampleScript_ForDelivery() {
	t := &testing.T{} // in a real test, the *testing.T you are given
	td := mockimpact.NewTestDispatcher(t, mockimpact.Postback{
		Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}", Method: "GET",
	}, mockimpact.WithScript(mockimpact.Step{Status: 200}))
	td.FireGenerated("action_lifecycle", 1)
	second := td.FireGenerated("action_lifecycle", 2)
	td.FireGenerated("action_lifecycle", 3)
	td.Script.ForDelivery(second, mockimpact.Step{Fault: mockimpact.FaultDNS})
	td.RunUntilIdle()
	for _, d := range td.Deliveries() {
		fmt.Println(d.ID, d.Outcome, len(d.Attempts))
	}
	// Output:
	// d000001 delivered 1
	// d000002 dns_failure 1
	// d000003 delivered 1
}
