package mockimpact_test

import (
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/impacttest"
)

// TestOneTimerForThePendingAttempts: the dispatcher keeps one timer on
// its clock, at the earliest attempt due, however many deliveries wait;
// none once nothing is pending, so a virtual clock goes idle.
func TestOneTimerForThePendingAttempts(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithScript(steps(t, "500,200")...))
	for i := range 3 {
		td.FireGenerated("action_lifecycle", int64(i+1))
	}
	td.Advance(0) // the first attempts fail; the retries are due in 15 s
	if st := td.Stats(); st.Attempts != 3 || st.Pending != 3 {
		t.Fatalf("stats %+v", st)
	}
	if n := td.Clock.Pending(); n != 1 {
		t.Fatalf("%d timers for 3 deliveries waiting; want 1", n)
	}
	if next, _ := td.Clock.Next(); !next.Equal(clock.Epoch.Add(15 * time.Second)) {
		t.Fatalf("the timer is at +%v; want +15s, the retries' due time", next.Sub(clock.Epoch))
	}
	td.Advance(15 * time.Second) // every retry is delivered
	if st := td.Stats(); st.Attempts != 6 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
	if n := td.Clock.Pending(); n != 0 {
		t.Fatalf("%d timers with nothing pending; want none", n)
	}
}

// TestApplicationUpdateJournaledWhenDelivered: the update of a delivered
// PENDING application is journaled at once, pending, fired UpdateDelay
// later; Close cancels it with the other pending deliveries.
func TestApplicationUpdateJournaledWhenDelivered(t *testing.T) {
	pb := mockimpact.Postback{Event: "publisher_application", URL: "https://b.example/apps?c={ContractId}&g={CreatorGender}", Method: "GET", Format: "none"}
	td := impacttest.NewDispatcher(t, pb, impacttest.WithScript(mockimpact.Step{Status: 200}))
	first := td.FireGeneratedWith("publisher_application", fixtures.GenOptions{Seed: 4})
	td.Advance(0)
	ds := td.Deliveries()
	if len(ds) != 2 || ds[0].Outcome != mockimpact.DeliveryDelivered {
		t.Fatalf("deliveries %+v; want the application, delivered, and its update", ds)
	}
	up := ds[1]
	if up.UpdateOf != first || up.Outcome != mockimpact.DeliveryPending || len(up.Attempts) != 0 ||
		up.Fired.Sub(ds[0].Attempts[0].Actual) != mockimpact.DefaultUpdateDelay {
		t.Fatalf("update %+v; want it pending, fired %v after the application's delivery", up, mockimpact.DefaultUpdateDelay)
	}
	if ev, ok := td.Payload(up.ID); !ok || fixtures.NeedsUpdate(ev.(*fixtures.PublisherApplication)) {
		t.Fatalf("payload of the update: %v %v", ev, ok)
	}
	if _, ok := td.Payload(first); ok {
		t.Fatal("the delivered application's payload is still kept")
	}
	if n := td.Close(); n != 1 {
		t.Fatalf("Close cancelled %d; want the update", n)
	}
	if dl, _ := td.Delivery(up.ID); dl.Outcome != mockimpact.DeliveryCancelled {
		t.Fatalf("the update after Close: %s", dl.Outcome)
	}
}
