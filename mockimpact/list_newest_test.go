package mockimpact_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// hiddenStore is a memory store seen only through the DeliveryStore
// interface: the dispatcher lists it from All, as it lists any store.
type hiddenStore struct{ mockimpact.DeliveryStore }

// TestListingTheNewestIsListingAll: the memory store's listing of the
// newest deliveries (which copies no more than it returns) answers what
// a listing of every delivery, filtered and cut, answers: counts,
// order, and contents, for each filter and limit, with deliveries
// evicted from the journal.
func TestListingTheNewestIsListingAll(t *testing.T) {
	fired := func(store mockimpact.DeliveryStore) *mockimpact.Admin {
		vc := clock.NewVirtual(time.Time{})
		script := mockimpact.NewScript(mockimpact.Step{Status: 200}, mockimpact.Step{Status: 500}, mockimpact.Step{Status: 200, Body: "ERROR"})
		d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script, Deliveries: store, MaxDeliveries: 25})
		t.Cleanup(func() { d.Close() })
		for _, ev := range []string{"action_lifecycle", "job_completed"} {
			if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: ev, URL: "https://brand.example/pb", Error: mockimpact.Matcher{Text: "ERROR"}}); err != nil {
				t.Fatal(err)
			}
		}
		gen := fixtures.NewImpactGen(3, time.Time{})
		for i := range 40 {
			var ev fixtures.Event = gen.ActionLifecycle()
			if i%3 == 0 {
				ev = gen.JobCompleted()
			}
			if _, err := d.Fire(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			vc.Advance(time.Second)
		}
		return mockimpact.NewAdmin(d)
	}
	memory, hidden := fired(mockimpact.NewMemoryDeliveries()), fired(hiddenStore{mockimpact.NewMemoryDeliveries()})
	for _, filter := range []string{"", "event=job_completed", "outcome=delivered", "outcome=pending", "event=action_lifecycle&outcome=pending", "event=nothing"} {
		for _, limit := range []int{0, 1, 3, 24, 1000} {
			url := fmt.Sprintf("/_admin/impact/deliveries?%s&limit=%d", filter, limit)
			_, got := call(t, memory, "GET", url, "")
			_, want := call(t, hidden, "GET", url, "")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-from All +newest):\n%s", url, diff)
			}
			if filter == "" && limit == 3 && len(got["deliveries"].([]any)) != 3 {
				t.Errorf("%s: %d deliveries, want 3", url, len(got["deliveries"].([]any)))
			}
		}
	}
}
