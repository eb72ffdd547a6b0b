package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/redisstore"
)

// countingReceiver counts the requests by URL, answering OK.
type countingReceiver struct {
	mu   sync.Mutex
	hits map[string]int
	srv  *httptest.Server
}

func newCountingReceiver(t *testing.T) *countingReceiver {
	c := &countingReceiver{hits: map[string]int{}}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hits[r.URL.RequestURI()]++
		c.mu.Unlock()
		_, _ = w.Write([]byte("OK"))
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *countingReceiver) counts() (total int, twice []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for u, n := range c.hits {
		total += n
		if n > 1 {
			twice = append(twice, u)
		}
	}
	return total, twice
}

// replicaStore is a replica's connection to rs (keys t:{NS}:…).
func replicaStore(t *testing.T, rs *redistest.Server) *redisstore.Store {
	t.Helper()
	st, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// sharedDispatcher is a replica's dispatcher on the deliveries of
// namespace ns in rs, o saying how it shares them.
func sharedDispatcher(t *testing.T, rs *redistest.Server, o mockimpact.Options, ns string, so mockimpact.ScheduleOptions) *mockimpact.Dispatcher {
	t.Helper()
	st := replicaStore(t, rs)
	o.Deliveries = st.ImpactDeliveries(ns, so)
	o.Configs = st.ImpactConfigs(ns)
	d := mockimpact.NewDispatcher(o)
	t.Cleanup(func() { d.Close() })
	return d
}

// replica is a replica's dispatcher on namespace ns's deliveries in rs,
// with the lease given and a 20 ms poll.
func replica(t *testing.T, rs *redistest.Server, name string, lease time.Duration) *mockimpact.Dispatcher {
	t.Helper()
	return sharedDispatcher(t, rs, mockimpact.Options{}, "ns", mockimpact.ScheduleOptions{Replica: name, Lease: lease, Poll: 20 * time.Millisecond})
}

func configure(t *testing.T, d *mockimpact.Dispatcher, p mockimpact.Postback) {
	t.Helper()
	if _, err := d.Configure(t.Context(), p); err != nil {
		t.Fatal(err)
	}
}

// deliveries is d.Deliveries; it fails the test on an error.
func deliveries(t *testing.T, d *mockimpact.Dispatcher) []mockimpact.Delivery {
	t.Helper()
	ds, err := d.Deliveries(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// elapse waits dt on d's clock: whatever d would still do by then, it
// has done.
func elapse(t *testing.T, d *mockimpact.Dispatcher, dt time.Duration) {
	t.Helper()
	if err := d.Clock().Sleep(t.Context(), dt); err != nil {
		t.Fatal(err)
	}
}

// stats is d.Stats, or the zero Stats on an error (for messages).
func stats(d *mockimpact.Dispatcher) mockimpact.Stats {
	st, _ := d.Stats(context.Background())
	return st
}

func fireN(t *testing.T, d *mockimpact.Dispatcher, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		ev, err := fixtures.Generate("action_lifecycle", fixtures.GenOptions{Seed: int64(i)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Fire(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

// Deliveries fired on replica A, closed without draining, are sent by
// replica B, each once.
func TestImpactDeliveriesOfAClosedReplicaAreSentByAnother(t *testing.T) {
	rs := redistest.Start(t)
	rc := newCountingReceiver(t)
	p := mockimpact.Postback{Event: "action_lifecycle", URL: rc.srv.URL + "/pb?aid={ActionId}", Method: "GET", Format: "none", Success: mockimpact.Matcher{Text: "OK"}}
	p.MinDelay = clock.Duration(300 * time.Millisecond) // nothing is due before A closes
	const lease = 500 * time.Millisecond
	a := replica(t, rs, "A", lease)
	configure(t, a, p)
	fireN(t, a, 1, 5)
	a.Close() // not drained: whatever A claimed stays leased to it

	b := replica(t, rs, "B", lease)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatalf("B did not send A's deliveries: %v (stats %+v)", err, stats(b))
	}
	elapse(t, b, 2*lease) // a second sending would show by now
	if total, twice := rc.counts(); total != 5 || len(twice) > 0 {
		t.Fatalf("receiver got %d requests (sent more than once: %v); want 5, each once", total, twice)
	}
	ds := deliveries(t, b)
	if len(ds) != 5 {
		t.Fatalf("B reads %d deliveries; want 5", len(ds))
	}
	for _, dl := range ds {
		if dl.Outcome != mockimpact.DeliveryDelivered || len(dl.Attempts) != 1 || dl.Attempts[0].Replica != "B" || dl.Attempts[0].TakenOverFrom != "" {
			t.Errorf("delivery %s: %s, attempts %+v; want delivered once by B", dl.ID, dl.Outcome, dl.Attempts)
			continue
		}
		if late := dl.Attempts[0].Actual.Sub(dl.Attempts[0].Scheduled); late > lease+time.Second {
			t.Errorf("delivery %s sent %v late; want at most the lease (%v) and the polling", dl.ID, late, lease)
		}
	}
	if st := stats(a); st.Attempts != 5 || st.Pending != 0 || st.Deliveries != 5 {
		t.Errorf("A's stats, read from Redis: %+v", st)
	}
}

// Two live replicas share the due attempts: each is sent exactly once.
func TestImpactAttemptsAreSentOnceAcrossReplicas(t *testing.T) {
	rs := redistest.Start(t)
	rc := newCountingReceiver(t)
	p := mockimpact.Postback{Event: "action_lifecycle", URL: rc.srv.URL + "/pb?aid={ActionId}", Method: "GET", Format: "none", Success: mockimpact.Matcher{Text: "OK"}}
	a := replica(t, rs, "A", time.Second)
	b := replica(t, rs, "B", time.Second)
	configure(t, a, p)
	configure(t, b, p)
	var wg sync.WaitGroup
	wg.Go(func() { fireN(t, a, 1, 40) })
	wg.Go(func() { fireN(t, b, 1001, 40) })
	wg.Wait()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := a.WaitIdle(ctx); err != nil {
		t.Fatalf("not all sent: %v (stats %+v)", err, stats(a))
	}
	elapse(t, a, 300*time.Millisecond) // a second sending would show by now
	if total, twice := rc.counts(); total != 80 || len(twice) > 0 {
		t.Fatalf("receiver got %d requests (more than once: %v); want 80, each once", total, twice)
	}
	by := map[string]int{}
	for _, dl := range deliveries(t, b) {
		for _, at := range dl.Attempts {
			by[at.Replica]++
		}
	}
	if by["A"]+by["B"] != 80 {
		t.Fatalf("attempts by replica: %v; want 80 in all", by)
	}
	t.Logf("attempts by replica: %v", by)
}

// On shared deliveries, a PENDING application delivered with empty
// data points is followed by its update, once, UpdateDelay later.
func TestImpactApplicationIsUpdatedOnceAcrossReplicas(t *testing.T) {
	rs := redistest.Start(t)
	rc := newCountingReceiver(t)
	mk := func(replica string) *mockimpact.Dispatcher {
		return sharedDispatcher(t, rs, mockimpact.Options{UpdateDelay: 300 * time.Millisecond}, "ns", mockimpact.ScheduleOptions{Replica: replica, Poll: 20 * time.Millisecond})
	}
	a, b := mk("A"), mk("B")
	configure(t, a, mockimpact.Postback{Event: "publisher_application", URL: rc.srv.URL + "/apps?c={ContractId}&g={CreatorGender}&s={Status}", Method: "GET", Format: "none"})
	ev, err := fixtures.Generate("publisher_application", fixtures.GenOptions{Seed: 4}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.Fire(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := b.WaitForAttempts(ctx, 2); err != nil {
		t.Fatalf("no update: %v (stats %+v)", err, stats(b))
	}
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	elapse(t, b, 300*time.Millisecond) // a second update would show by now
	ds := deliveries(t, b)
	if len(ds) != 2 || ds[1].UpdateOf != first || ds[1].Outcome != mockimpact.DeliveryDelivered || strings.Contains(ds[1].Request.URL, "g=&") {
		t.Fatalf("deliveries: %+v; want the application and its update", ds)
	}
	if late := ds[1].Attempts[0].Actual.Sub(ds[0].Attempts[0].Actual); late < 300*time.Millisecond {
		t.Fatalf("update sent %v after the application; want UpdateDelay (300ms) at least", late)
	}
	if ev, ok, _ := b.Payload(t.Context(), ds[1].ID); !ok || fixtures.NeedsUpdate(ev.(*fixtures.PublisherApplication)) {
		t.Fatalf("payload of the update, read on B: %v %v", ev, ok)
	}
	if total, twice := rc.counts(); total != 2 || len(twice) > 0 {
		t.Fatalf("receiver got %d requests (twice: %v); want 2", total, twice)
	}
}

// The shared journal is bounded by MaxDeliveries as in memory: the
// oldest finished deliveries go first.
func TestImpactJournalOnRedisKeepsTheNewest(t *testing.T) {
	rs := redistest.Start(t)
	rc := newCountingReceiver(t)
	d := sharedDispatcher(t, rs, mockimpact.Options{MaxDeliveries: 3}, "ns", mockimpact.ScheduleOptions{Replica: "A", Poll: 20 * time.Millisecond})
	configure(t, d, mockimpact.Postback{Event: "action_lifecycle", URL: rc.srv.URL + "/pb?aid={ActionId}", Method: "GET", Format: "none"})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for i := 1; i <= 6; i++ { // one at a time: each ends before the next
		fireN(t, d, i, 1)
		if err := d.WaitForAttempts(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, dl := range deliveries(t, d) {
		ids = append(ids, dl.ID)
	}
	if strings.Join(ids, ",") != "d000004,d000005,d000006" {
		t.Fatalf("deliveries kept: %v; want the newest three", ids)
	}
	if st := stats(d); st.Evicted != 3 || st.Deliveries != 3 || st.Attempts != 6 {
		t.Fatalf("stats %+v; want 3 evicted, 3 kept, 6 attempts", st)
	}
	if _, ok, _ := d.Delivery(t.Context(), "d000001"); ok {
		t.Fatal("d000001 is still readable")
	}
}

// TestImpactAttemptsOnTimeAtAnyScale: on a clock 600 times the wall
// clock's pace, where the 200 ms poll is two minutes of the schedule, the
// attempts still go at their documented offsets: the poll timer fires
// when the earliest attempt is due, and when this process schedules one.
func TestImpactAttemptsOnTimeAtAnyScale(t *testing.T) {
	rs := redistest.Start(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	vc := clock.NewVirtual(time.Unix(1_700_000_000, 0))
	d := sharedDispatcher(t, rs, mockimpact.Options{Clock: vc}, "scale", mockimpact.ScheduleOptions{Replica: "A", Poll: 200 * time.Millisecond, Scale: 600})
	configure(t, d, mockimpact.Postback{Event: "action_lifecycle", URL: srv.URL + "/pb", Method: "GET", Format: "none"})
	ev, err := fixtures.Generate("action_lifecycle", fixtures.GenOptions{Seed: 1}, vc.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Fire(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	want := append([]time.Duration{0}, mockimpact.RetrySchedule()[:4]...) // offsets of attempts 1–5
	for i := 1; i < len(want); i++ {
		want[i] += want[i-1]
	}
	start := vc.Now()
	attempts := func() []mockimpact.Attempt {
		if ds, _ := d.Deliveries(t.Context()); len(ds) == 1 {
			return ds[0].Attempts
		}
		return nil
	}
	deadline := time.Now().Add(10 * time.Second) // real time: a guard against a hang
	for n := 1; n <= len(want); n++ {
		// Wait (real time) for the poll timer at attempt n's due time and
		// move the clock there (the attempt goes as the clock moves), then
		// wait for attempt n.
		due := start.Add(want[n-1])
		for {
			if next, ok := vc.Next(); ok && !next.After(due) {
				vc.AdvanceTo(next)
				if !next.Before(due) {
					break
				}
				continue
			}
			if time.Now().After(deadline) {
				next, _ := vc.Next()
				t.Fatalf("after attempt %d the poll timer waits until %v, want %v (the next attempt's due time)", n-1, next.Sub(start), want[n-1])
			}
			time.Sleep(time.Millisecond)
		}
		for len(attempts()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("attempt %d not sent by %v on the clock; attempts %+v", n, vc.Now().Sub(start), attempts())
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i, a := range attempts() {
		if a.Actual.Sub(start) != want[i] {
			t.Errorf("attempt %d sent at %v, want %v", a.N, a.Actual.Sub(start), want[i])
		}
	}
}
