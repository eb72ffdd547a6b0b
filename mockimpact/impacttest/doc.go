// Package impacttest provides test helpers for a brand's impact.com
// postback receiver and for code that configures postbacks: a
// mockimpact.Dispatcher on a virtual clock, so the 31-hour retry schedule
// runs in milliseconds, an in-memory scripted receiver, and go-cmp
// options for comparing delivery journals. It is to mockimpact what
// net/http/httptest is to net/http.
//
//	func TestRetries(t *testing.T) {
//		d := impacttest.NewDispatcher(t, postback, impacttest.WithScript(
//			mockimpact.Step{Status: 503}, mockimpact.Step{Body: "OK"}))
//		d.FireGenerated("action_lifecycle", 1)
//		d.RunUntilIdle()
//		if got := d.Only().Outcome; got != mockimpact.DeliveryDelivered {
//			t.Fatalf("outcome %s", got)
//		}
//	}
package impacttest
