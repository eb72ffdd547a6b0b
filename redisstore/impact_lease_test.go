package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// Attempts claimed by a replica that died are sent by another once the
// lease ends, not before, and once.
func TestImpactAttemptsOfADeadReplicaAreTakenOverAfterTheLease(t *testing.T) {
	rs := redistest.Start(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("OK"))
	}))
	defer srv.Close()
	st := replicaStore(t, rs)
	const lease = 600 * time.Millisecond
	sched := func(replica string, poll time.Duration) mockimpact.DeliveryStore {
		return st.ImpactDeliveries("ns", mockimpact.ScheduleOptions{Replica: replica, Lease: lease, Poll: poll})
	}
	a := mockimpact.NewDispatcher(mockimpact.Options{Deliveries: sched("A", time.Hour), Configs: st.ImpactConfigs("ns")}) // looks at start and after each fire, then waits for the first due time
	// Due 200 ms after firing: A's looks find nothing due, and A is
	// closed before the first is.
	configure(t, a, mockimpact.Postback{Event: "action_lifecycle", URL: srv.URL + "/pb?aid={ActionId}", Method: "GET", Format: "none", MinDelay: clock.Duration(200 * time.Millisecond)})
	for i := range 3 {
		ev, err := fixtures.Generate("action_lifecycle", fixtures.GenOptions{Seed: int64(i + 1)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Fire(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	time.Sleep(250 * time.Millisecond) // due now
	claimed := time.Now()
	ids, _, _, err := sched("dead", 0).Claim(context.Background(), claimed, 10)
	if err != nil || len(ids) != 3 {
		t.Fatalf("the dead replica claimed %v, %v; want the 3 deliveries", ids, err)
	}

	b := mockimpact.NewDispatcher(mockimpact.Options{Deliveries: sched("B", 20*time.Millisecond), Configs: st.ImpactConfigs("ns")})
	defer b.Close()
	elapse(t, b, lease/2)
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d attempts sent while the dead replica's lease held", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatalf("B did not take over: %v (stats %+v)", err, stats(b))
	}
	elapse(t, b, lease) // a second sending would show by now
	if n := hits.Load(); n != 3 {
		t.Fatalf("receiver got %d requests; want 3", n)
	}
	for _, dl := range deliveries(t, b) {
		at := dl.Attempts[0]
		if len(dl.Attempts) != 1 || at.Replica != "B" || at.Actual.Before(claimed.Add(lease-50*time.Millisecond)) || at.Actual.After(claimed.Add(lease+time.Second)) {
			t.Errorf("delivery %s: attempts %+v; want one by B, a lease (%v) after the claim at %v", dl.ID, dl.Attempts, lease, claimed)
		}
		if at.TakenOverFrom != "dead" {
			t.Errorf("delivery %s: taken over from %q, want the dead replica", dl.ID, at.TakenOverFrom)
		}
	}
}

// TestImpactOwnClaimAgainIsNoTakeover: an attempt this process claimed
// and never ran (its run failed), claimed again by it after the lease, is
// not a takeover; claimed by another process, even one with the same
// replica name (a restart), it is.
func TestImpactOwnClaimAgainIsNoTakeover(t *testing.T) {
	rs := redistest.Start(t)
	st := replicaStore(t, rs)
	const lease = 200 * time.Millisecond
	a := st.ImpactDeliveries("own", mockimpact.ScheduleOptions{Replica: "A", Lease: lease})
	now := time.Now()
	for _, id := range []string{"d1", "d2"} {
		if err := a.Add(context.Background(), &mockimpact.StoredDelivery{Delivery: mockimpact.Delivery{ID: id}, Scheduled: now}); err != nil {
			t.Fatal(err)
		}
	}
	first, _, _, err := a.Claim(context.Background(), now, 1)
	if err != nil || len(first) != 1 || first[0].TakenOverFrom != "" {
		t.Fatalf("first claim %+v, %v", first, err)
	}
	time.Sleep(lease + 50*time.Millisecond) // real time: the lease (wall time) ends
	later := now.Add(time.Minute)
	again, _, _, err := a.Claim(context.Background(), later, 2)
	if err != nil || len(again) != 2 || again[0].TakenOverFrom != "" || again[1].TakenOverFrom != "" {
		t.Fatalf("the same process claiming again: %+v, %v; want %s (and the other), not taken over", again, err, first[0].ID)
	}
	time.Sleep(lease + 50*time.Millisecond)
	restarted := st.ImpactDeliveries("own", mockimpact.ScheduleOptions{Replica: "A", Lease: lease})
	got, _, _, err := restarted.Claim(context.Background(), later.Add(time.Minute), 2)
	var from string
	for _, c := range got {
		if c.ID == first[0].ID {
			from = c.TakenOverFrom
		}
	}
	if err != nil || from != "A" {
		t.Fatalf("another process named A claiming it: %+v, %v; want it taken over from A", got, err)
	}
}
