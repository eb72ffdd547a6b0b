package mockimpact

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/redistest"
)

// Attempts claimed by a replica that died are sent by another once the
// lease ends, not before, and once.
func TestRedisScheduleLeaseOfADeadReplica(t *testing.T) {
	rs := redistest.Start(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("OK"))
	}))
	defer srv.Close()
	client := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer client.Close()
	const lease = 600 * time.Millisecond
	sched := func(replica string, poll time.Duration) *RedisSchedule {
		return NewRedisSchedule(client, "t:{ns}:impact:", ScheduleOptions{Replica: replica, Lease: lease, Poll: poll})
	}
	a := NewDispatcher(Options{Schedule: sched("A", time.Hour)}) // looks at start and after each fire, then waits for the first due time
	// Due 200 ms after firing: A's looks find nothing due, and A is
	// closed before the first is.
	if _, err := a.Configure(Postback{Event: "action_lifecycle", URL: srv.URL + "/pb?aid={ActionId}", Method: "GET", Format: "none", MinDelay: clock.Duration(200 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		ev, err := fixtures.Generate("action_lifecycle", fixtures.GenOptions{Seed: int64(i + 1)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Fire(ev); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	time.Sleep(250 * time.Millisecond) // due now
	claimed := time.Now()
	ids, _, _, err := sched("dead", 0).claim(context.Background(), claimed, 10)
	if err != nil || len(ids) != 3 {
		t.Fatalf("the dead replica claimed %v, %v; want the 3 deliveries", ids, err)
	}

	b := NewDispatcher(Options{Schedule: sched("B", 20*time.Millisecond)})
	defer b.Close()
	time.Sleep(lease / 2)
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d attempts sent while the dead replica's lease held", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatalf("B did not take over: %v (stats %+v)", err, b.Stats())
	}
	time.Sleep(lease)
	if n := hits.Load(); n != 3 {
		t.Fatalf("receiver got %d requests; want 3", n)
	}
	for _, dl := range b.Deliveries() {
		at := dl.Attempts[0]
		if len(dl.Attempts) != 1 || at.Replica != "B" || at.Actual.Before(claimed.Add(lease-50*time.Millisecond)) || at.Actual.After(claimed.Add(lease+time.Second)) {
			t.Errorf("delivery %s: attempts %+v; want one by B, a lease (%v) after the claim at %v", dl.ID, dl.Attempts, lease, claimed)
		}
		if at.TakenOverFrom != "dead" {
			t.Errorf("delivery %s: taken over from %q, want the dead replica", dl.ID, at.TakenOverFrom)
		}
	}
}

// TestRedisScheduleOwnClaimIsNoTakeover: an attempt this process claimed
// and never ran (its run failed), claimed again by it after the lease, is
// not a takeover; claimed by another process, even one with the same
// replica name (a restart), it is.
func TestRedisScheduleOwnClaimIsNoTakeover(t *testing.T) {
	rs := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	defer client.Close()
	const lease = 200 * time.Millisecond
	a := NewRedisSchedule(client, "t:{own}:impact:", ScheduleOptions{Replica: "A", Lease: lease})
	now := time.Now()
	for _, id := range []string{"d1", "d2"} {
		if err := a.add(context.Background(), &StoredDelivery{Delivery: Delivery{ID: id}}, now); err != nil {
			t.Fatal(err)
		}
	}
	first, _, _, err := a.claim(context.Background(), now, 1)
	if err != nil || len(first) != 1 || first[0].from != "" {
		t.Fatalf("first claim %+v, %v", first, err)
	}
	time.Sleep(lease + 50*time.Millisecond) // real time: the lease (wall time) ends
	later := now.Add(time.Minute)
	again, _, _, err := a.claim(context.Background(), later, 2)
	if err != nil || len(again) != 2 || again[0].from != "" || again[1].from != "" {
		t.Fatalf("the same process claiming again: %+v, %v; want %s (and the other), not taken over", again, err, first[0].id)
	}
	time.Sleep(lease + 50*time.Millisecond)
	restarted := NewRedisSchedule(client, "t:{own}:impact:", ScheduleOptions{Replica: "A", Lease: lease})
	got, _, _, err := restarted.claim(context.Background(), later.Add(time.Minute), 2)
	var from string
	for _, c := range got {
		if c.id == first[0].id {
			from = c.from
		}
	}
	if err != nil || from != "A" {
		t.Fatalf("another process named A claiming it: %+v, %v; want it taken over from A", got, err)
	}
}
