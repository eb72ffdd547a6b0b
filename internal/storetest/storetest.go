// Package storetest is the contract of the impact dispatcher's state
// stores (mockimpact.DeliveryStore, mockimpact.ConfigStore) as tests:
// every implementation runs the same subtests, the memory stores from
// package mockimpact's tests, the Redis ones from package redisstore's
// on a real redis-server. Where the contract leaves a choice to the
// store (what Stop does with the pending deliveries), the subtests follow
// what the store says of itself (Sharing), never its type.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
)

// base is the dispatcher clock's time the subtests schedule from: a
// whole millisecond, as a shared store keeps due times.
var base = time.UnixMilli(1_700_000_000_000).UTC()

func at(d time.Duration) time.Time { return base.Add(d) }

// Deliveries runs the contract of a DeliveryStore against stores from
// open, a new empty one for each subtest. A store whose claims lapse
// (Sharing().Lease > 0) must hold them longer than a few seconds of its
// clock.
func Deliveries(t *testing.T, open func(t *testing.T) mockimpact.DeliveryStore) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, s mockimpact.DeliveryStore)
	}{
		{"ids are unique", idsAreUnique},
		{"a delivery reads back as added", readsBackAsAdded},
		{"claims come in due order, ties in the order scheduled", claimOrder},
		{"an attempt is claimed once", claimedOnce},
		{"claims say when the next attempt left is due", nextDue},
		{"finish with a next attempt schedules it", finishWithNext},
		{"finish without a next attempt ends the delivery", finishEnds},
		{"finish without the claim journals nothing", finishWithoutClaim},
		{"loaded deliveries are copies", loadIsACopy},
		{"the journal is bounded, pending deliveries kept", evictionBound},
		{"reset keeps the pending deliveries", resetKeepsPending},
		{"retry now moves only a waiting attempt", retryNowWaiting},
		{"renew holds a claim", renewHoldsAClaim},
		{"stop as the store is shared", stopAsShared},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, open(t)) })
	}
}

// add stores a pending delivery numbered by s, due at due.
func add(t *testing.T, s mockimpact.DeliveryStore, due time.Time) string {
	t.Helper()
	ctx := t.Context()
	id, err := s.NextID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := &mockimpact.StoredDelivery{
		Delivery: mockimpact.Delivery{ID: id, Event: "action_lifecycle", Fired: base, Outcome: mockimpact.DeliveryPending,
			Request: &mockimpact.Rendered{Method: "GET", URL: "https://brand.example/pb?id=" + id}},
		Postback:  json.RawMessage(`{"event":"action_lifecycle","url":"https://brand.example/pb"}`),
		Scheduled: due,
	}
	if err := s.Add(ctx, d); err != nil {
		t.Fatal(err)
	}
	return id
}

// claim claims what is due at now (up to 100) and returns the ids.
func claim(t *testing.T, s mockimpact.DeliveryStore, now time.Time) []string {
	t.Helper()
	cs, _, _, err := s.Claim(t.Context(), now, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

// attempt loads claimed delivery id, appends an attempt made at now,
// ended (next nil, the delivery's outcome out) or retried at next, and
// finishes it with the bound most.
func attempt(t *testing.T, s mockimpact.DeliveryStore, id string, now time.Time, next *time.Time, out mockimpact.DeliveryOutcome, most int) *mockimpact.StoredDelivery {
	t.Helper()
	d, ok, err := s.Load(t.Context(), id)
	if err != nil || !ok {
		t.Fatalf("Load(%s): %v, %v", id, ok, err)
	}
	a := mockimpact.Attempt{DeliveryID: id, Event: d.Event, N: len(d.Attempts) + 1, Scheduled: d.Scheduled, Actual: now,
		Outcome: mockimpact.OutcomeDelivered, Retry: next != nil, Next: next}
	if next != nil {
		a.Outcome = mockimpact.OutcomeHTTPError
	} else {
		d.Outcome = out
	}
	d.Attempts = append(d.Attempts, a)
	ok, err = s.Finish(t.Context(), d, next, most)
	if err != nil || !ok {
		t.Fatalf("Finish(%s): %v, %v; want it journaled", id, ok, err)
	}
	return d
}

func stats(t *testing.T, s mockimpact.DeliveryStore) mockimpact.Stats {
	t.Helper()
	st, err := s.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func ids(t *testing.T, s mockimpact.DeliveryStore) []string {
	t.Helper()
	all, err := s.All(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range all {
		out = append(out, d.ID)
	}
	return out
}

func load(t *testing.T, s mockimpact.DeliveryStore, id string) *mockimpact.StoredDelivery {
	t.Helper()
	d, ok, err := s.Load(t.Context(), id)
	if err != nil || !ok {
		t.Fatalf("Load(%s): %v, %v", id, ok, err)
	}
	return d
}

func idsAreUnique(t *testing.T, s mockimpact.DeliveryStore) {
	form := regexp.MustCompile(`^d[0-9]{6,}$`)
	seen := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				id, err := s.NextID(context.Background())
				mu.Lock()
				if err != nil || !form.MatchString(id) || seen[id] {
					t.Errorf("NextID: %q, %v; want a new dNNNNNN", id, err)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 100 {
		t.Fatalf("%d ids in 100 calls", len(seen))
	}
}

func readsBackAsAdded(t *testing.T, s mockimpact.DeliveryStore) {
	ctx := t.Context()
	id, _ := s.NextID(ctx)
	want := &mockimpact.StoredDelivery{
		Delivery: mockimpact.Delivery{ID: id, Event: "publisher_application", Fired: base, Outcome: mockimpact.DeliveryPending,
			Request: &mockimpact.Rendered{Method: "POST", URL: "https://brand.example/apps", Body: `{"a":1}`}, UpdateOf: "d000042"},
		Postback:  json.RawMessage(`{"event":"publisher_application","url":"https://brand.example/apps"}`),
		Scheduled: at(5 * time.Second),
		Payload:   json.RawMessage(`{"ContractId":"C-1"}`),
	}
	if err := s.Add(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Load(ctx, id)
	if err != nil || !ok {
		t.Fatalf("Load: %v, %v", ok, err)
	}
	if g, w := encode(t, got), encode(t, want); g != w {
		t.Fatalf("read back\n%s\nwant\n%s", g, w)
	}
	if _, ok, err := s.Load(ctx, "d999999"); ok || err != nil {
		t.Fatalf("Load of no delivery: %v, %v", ok, err)
	}
	if st := stats(t, s); st != (mockimpact.Stats{Deliveries: 1, Pending: 1}) {
		t.Fatalf("stats %+v", st)
	}
}

func encode(t *testing.T, d *mockimpact.StoredDelivery) string {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func claimOrder(t *testing.T, s mockimpact.DeliveryStore) {
	d1 := add(t, s, at(2*time.Second))
	d2 := add(t, s, at(time.Second))
	d3 := add(t, s, at(time.Second))
	add(t, s, at(3*time.Second))
	d5 := add(t, s, at(time.Second)) // due with d2 and d3, scheduled after something else
	if got := claim(t, s, at(500*time.Millisecond)); len(got) != 0 {
		t.Fatalf("claimed %v before anything was due", got)
	}
	cs, _, _, err := s.Claim(t.Context(), at(2*time.Second), 2)
	if err != nil || len(cs) != 2 || cs[0].ID != d2 || cs[1].ID != d3 || cs[0].TakenOverFrom != "" {
		t.Fatalf("Claim of 2: %+v, %v; want %s, %s (due first, then scheduled first)", cs, err, d2, d3)
	}
	if got := claim(t, s, at(2*time.Second)); !slices.Equal(got, []string{d5, d1}) {
		t.Fatalf("then %v; want %s, %s", got, d5, d1)
	}
}

func claimedOnce(t *testing.T, s mockimpact.DeliveryStore) {
	var want []string
	for range 50 {
		want = append(want, add(t, s, base))
	}
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			for range 10 {
				cs, _, _, err := s.Claim(context.Background(), base, 3)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, c := range cs {
					got = append(got, c.ID)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("claimed %v; want each of %v once", got, want)
	}
}

func nextDue(t *testing.T, s mockimpact.DeliveryStore) {
	if _, _, ok, err := s.Claim(t.Context(), base, 10); ok || err != nil {
		t.Fatalf("an empty store: ok %v, %v; want nothing due", ok, err)
	}
	add(t, s, at(time.Second))
	add(t, s, at(4*time.Second))
	add(t, s, at(3*time.Second))
	cs, next, ok, err := s.Claim(t.Context(), at(time.Second), 10)
	if err != nil || len(cs) != 1 || !ok || !next.Equal(at(3*time.Second)) {
		t.Fatalf("Claim: %v, next %v (%v), %v; want one claimed, next at +3s", cs, next.Sub(base), ok, err)
	}
	if _, next, ok, _ := s.Claim(t.Context(), at(2*time.Second), 10); !ok || !next.Equal(at(3*time.Second)) {
		t.Fatalf("nothing due: next %v (%v); want +3s", next.Sub(base), ok)
	}
}

func finishWithNext(t *testing.T, s mockimpact.DeliveryStore) {
	id := add(t, s, base)
	claim(t, s, base)
	next := at(15 * time.Second)
	attempt(t, s, id, base, &next, "", 0)
	d := load(t, s, id)
	if d.Outcome != mockimpact.DeliveryPending || len(d.Attempts) != 1 || !d.Scheduled.Equal(next) || d.Attempts[0].N != 1 || !d.Attempts[0].Retry {
		t.Fatalf("after the first attempt: %+v", d)
	}
	if st := stats(t, s); st != (mockimpact.Stats{Deliveries: 1, Pending: 1, Attempts: 1}) {
		t.Fatalf("stats %+v", st)
	}
	if got := claim(t, s, at(14*time.Second)); len(got) != 0 {
		t.Fatalf("claimed %v before the next attempt was due", got)
	}
	if got := claim(t, s, next); !slices.Equal(got, []string{id}) {
		t.Fatalf("at the next attempt's due time: %v; want %s", got, id)
	}
	attempt(t, s, id, next, nil, mockimpact.DeliveryDelivered, 0)
	if d := load(t, s, id); len(d.Attempts) != 2 || d.Outcome != mockimpact.DeliveryDelivered {
		t.Fatalf("after the second attempt: %+v", d)
	}
}

func finishEnds(t *testing.T, s mockimpact.DeliveryStore) {
	id := add(t, s, base)
	claim(t, s, base)
	attempt(t, s, id, base, nil, mockimpact.DeliveryDNSFailure, 0)
	if d := load(t, s, id); d.Outcome != mockimpact.DeliveryDNSFailure || len(d.Attempts) != 1 {
		t.Fatalf("ended delivery: %+v", d)
	}
	if st := stats(t, s); st != (mockimpact.Stats{Deliveries: 1, Pending: 0, Attempts: 1}) {
		t.Fatalf("stats %+v", st)
	}
	if cs, _, ok, err := s.Claim(t.Context(), at(time.Hour), 10); len(cs) != 0 || ok || err != nil {
		t.Fatalf("an ended delivery was claimed, or is due: %v, %v, %v", cs, ok, err)
	}
}

func finishWithoutClaim(t *testing.T, s mockimpact.DeliveryStore) {
	id := add(t, s, base)
	d := load(t, s, id)
	d.Outcome = mockimpact.DeliveryDelivered
	d.Attempts = append(d.Attempts, mockimpact.Attempt{DeliveryID: id, N: 1, Outcome: mockimpact.OutcomeDelivered})
	if ok, err := s.Finish(t.Context(), d, nil, 0); ok || err != nil {
		t.Fatalf("Finish of an unclaimed attempt: %v, %v; want false", ok, err)
	}
	if d := load(t, s, id); d.Outcome != mockimpact.DeliveryPending || len(d.Attempts) != 0 {
		t.Fatalf("journaled anyway: %+v", d)
	}
	if st := stats(t, s); st.Attempts != 0 || st.Pending != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func loadIsACopy(t *testing.T, s mockimpact.DeliveryStore) {
	id := add(t, s, base)
	claim(t, s, base)
	next := at(time.Minute)
	attempt(t, s, id, base, &next, "", 0)
	d := load(t, s, id)
	d.Outcome, d.Event, d.Scheduled = mockimpact.DeliveryCancelled, "changed", at(time.Hour)
	d.Attempts = append(d.Attempts, mockimpact.Attempt{N: 2})
	if again := load(t, s, id); again.Outcome != mockimpact.DeliveryPending || again.Event != "action_lifecycle" || !again.Scheduled.Equal(next) || len(again.Attempts) != 1 {
		t.Fatalf("a change to a loaded copy reached the store: %+v", again)
	}
	all, err := s.All(t.Context())
	if err != nil || len(all) != 1 || all[0].Outcome != mockimpact.DeliveryPending || len(all[0].Attempts) != 1 {
		t.Fatalf("All: %+v, %v", all, err)
	}
}

func evictionBound(t *testing.T, s mockimpact.DeliveryStore) {
	p := add(t, s, base)
	var ended []string
	for range 4 {
		ended = append(ended, add(t, s, base))
	}
	if got := claim(t, s, base); len(got) != 5 {
		t.Fatalf("claimed %v", got)
	}
	for _, id := range ended {
		attempt(t, s, id, base, nil, mockimpact.DeliveryDelivered, 2)
	}
	next := at(15 * time.Second)
	attempt(t, s, p, base, &next, "", 2)
	if got, want := ids(t, s), []string{p, ended[3]}; !slices.Equal(got, want) {
		t.Fatalf("kept %v; want %v (the pending one and the newest ended)", got, want)
	}
	if st := stats(t, s); st != (mockimpact.Stats{Deliveries: 2, Pending: 1, Attempts: 5, Evicted: 3}) {
		t.Fatalf("stats %+v", st)
	}
	if _, ok, err := s.Load(t.Context(), ended[0]); ok || err != nil {
		t.Fatalf("an evicted delivery loads: %v, %v", ok, err)
	}
}

func resetKeepsPending(t *testing.T, s mockimpact.DeliveryStore) {
	done, retried, waiting := add(t, s, base), add(t, s, base), add(t, s, at(time.Hour))
	claim(t, s, base)
	attempt(t, s, done, base, nil, mockimpact.DeliveryDelivered, 0)
	next := at(15 * time.Second)
	attempt(t, s, retried, base, &next, "", 0)
	if err := s.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := ids(t, s), []string{retried, waiting}; !slices.Equal(got, want) {
		t.Fatalf("after Reset: %v; want %v", got, want)
	}
	if st := stats(t, s); st.Deliveries != 2 || st.Pending != 2 || st.Attempts != 2 {
		t.Fatalf("stats %+v", st)
	}
	if got := claim(t, s, at(time.Hour)); !slices.Equal(got, []string{retried, waiting}) {
		t.Fatalf("claimed after Reset: %v", got)
	}
}

func retryNowWaiting(t *testing.T, s mockimpact.DeliveryStore) {
	ctx := t.Context()
	later, claimed, ended := add(t, s, at(time.Hour)), add(t, s, base), add(t, s, base)
	if got := claim(t, s, base); !slices.Equal(got, []string{claimed, ended}) {
		t.Fatalf("claimed %v", got)
	}
	attempt(t, s, ended, base, nil, mockimpact.DeliveryDelivered, 0)
	now := at(time.Second)
	for id, want := range map[string]bool{later: true, claimed: false, ended: false, "d999999": false} {
		if ok, err := s.RetryNow(ctx, id, now); ok != want || err != nil {
			t.Errorf("RetryNow(%s): %v, %v; want %v", id, ok, err, want)
		}
	}
	if d := load(t, s, later); !d.Scheduled.Equal(now) {
		t.Fatalf("scheduled %v after RetryNow; want now (+1s)", d.Scheduled.Sub(base))
	}
	if got := claim(t, s, now); !slices.Equal(got, []string{later}) {
		t.Fatalf("claimed %v at now; want %s", got, later)
	}
}

func renewHoldsAClaim(t *testing.T, s mockimpact.DeliveryStore) {
	id := add(t, s, base)
	claim(t, s, base)
	if ok, err := s.Renew(t.Context(), id, at(time.Second)); !ok || err != nil {
		t.Fatalf("Renew of a claim held: %v, %v", ok, err)
	}
	if got := claim(t, s, at(time.Second)); len(got) != 0 {
		t.Fatalf("a renewed claim was claimed again: %v", got)
	}
	attempt(t, s, id, at(time.Second), nil, mockimpact.DeliveryDelivered, 0)
	if ok, err := s.Renew(t.Context(), id, at(2*time.Second)); ok || err != nil {
		t.Fatalf("Renew after Finish: %v, %v; want false", ok, err)
	}
}

func stopAsShared(t *testing.T, s mockimpact.DeliveryStore) {
	ctx := t.Context()
	ended, inFlight, waiting := add(t, s, base), add(t, s, base), add(t, s, at(time.Minute))
	claim(t, s, base)
	attempt(t, s, ended, base, nil, mockimpact.DeliveryDelivered, 0)
	n, err := s.Stop(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The attempt in progress ends as it would have.
	next := at(15 * time.Second)
	d := load(t, s, inFlight)
	d.Attempts = append(d.Attempts, mockimpact.Attempt{DeliveryID: inFlight, N: 1, Outcome: mockimpact.OutcomeHTTPError, Retry: true, Next: &next})
	if ok, err := s.Finish(ctx, d, &next, 0); !ok || err != nil {
		t.Fatalf("Finish after Stop: %v, %v; want the attempt journaled", ok, err)
	}
	if s.Sharing().Poll > 0 {
		// Shared: the others send what is pending.
		if n != 0 {
			t.Fatalf("Stop of a shared store cancelled %d", n)
		}
		if d := load(t, s, inFlight); d.Outcome != mockimpact.DeliveryPending || !d.Attempts[0].Retry {
			t.Fatalf("in flight at Stop: %+v; want it pending, retried", d)
		}
		if st := stats(t, s); st.Pending != 2 {
			t.Fatalf("stats %+v; want 2 pending", st)
		}
		if got := claim(t, s, at(time.Minute)); !slices.Equal(got, []string{inFlight, waiting}) {
			t.Fatalf("claimed after Stop: %v; want both pending", got)
		}
		return
	}
	// Only this dispatcher's: the pending ones are cancelled.
	if n != 2 {
		t.Fatalf("Stop cancelled %d; want 2 (in flight and waiting)", n)
	}
	if d.Outcome != mockimpact.DeliveryCancelled || d.Attempts[0].Retry || d.Attempts[0].Next != nil {
		t.Fatalf("the delivery as journaled: %s, %+v; want cancelled, its attempt not retried", d.Outcome, d.Attempts[0])
	}
	for id, want := range map[string]mockimpact.DeliveryOutcome{ended: mockimpact.DeliveryDelivered, inFlight: mockimpact.DeliveryCancelled, waiting: mockimpact.DeliveryCancelled} {
		if d := load(t, s, id); d.Outcome != want {
			t.Errorf("%s: %s; want %s", id, d.Outcome, want)
		}
	}
	if d := load(t, s, inFlight); len(d.Attempts) != 1 || d.Attempts[0].Retry || d.Attempts[0].Next != nil {
		t.Fatalf("in flight at Stop: attempts %+v", d.Attempts)
	}
	if st := stats(t, s); st != (mockimpact.Stats{Deliveries: 3, Pending: 0, Attempts: 2}) {
		t.Fatalf("stats %+v", st)
	}
	if cs, _, ok, err := s.Claim(ctx, at(time.Hour), 10); len(cs) != 0 || ok || err != nil {
		t.Fatalf("claimed after Stop: %v, %v, %v", cs, ok, err)
	}
	if ok, _ := s.RetryNow(ctx, waiting, at(time.Hour)); ok {
		t.Fatal("RetryNow of a cancelled delivery")
	}
}

// Configs runs the contract of a ConfigStore against stores from open, a
// new empty one for each subtest.
func Configs(t *testing.T, open func(t *testing.T) mockimpact.ConfigStore) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, s mockimpact.ConfigStore)
	}{
		{"a configuration reads back as saved", configReadsBack},
		{"saving replaces", configSaveReplaces},
		{"delete says whether there was one", configDelete},
		{"all configurations by event", configAll},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, open(t)) })
	}
}

const pbJSON = `{"url":"https://brand.example/pb?aid={ActionId}","method":"GET"}`

func save(t *testing.T, s mockimpact.ConfigStore, event, config string) {
	t.Helper()
	if err := s.SavePostback(t.Context(), event, []byte(config)); err != nil {
		t.Fatal(err)
	}
}

func configReadsBack(t *testing.T, s mockimpact.ConfigStore) {
	buf := []byte(pbJSON)
	if err := s.SavePostback(t.Context(), "action_lifecycle", buf); err != nil {
		t.Fatal(err)
	}
	buf[0] = 'X' // the caller's buffer is its own
	b, ok, err := s.LoadPostback(t.Context(), "action_lifecycle")
	if err != nil || !ok || string(b) != pbJSON {
		t.Fatalf("LoadPostback: %q, %v, %v", b, ok, err)
	}
	if b, ok, err := s.LoadPostback(t.Context(), "job_completed"); ok || err != nil || b != nil {
		t.Fatalf("LoadPostback of none: %q, %v, %v", b, ok, err)
	}
}

func configSaveReplaces(t *testing.T, s mockimpact.ConfigStore) {
	save(t, s, "action_lifecycle", pbJSON)
	save(t, s, "action_lifecycle", `{"url":"https://other.example/"}`)
	if b, _, err := s.LoadPostback(t.Context(), "action_lifecycle"); err != nil || string(b) != `{"url":"https://other.example/"}` {
		t.Fatalf("after the second save: %q, %v", b, err)
	}
}

func configDelete(t *testing.T, s mockimpact.ConfigStore) {
	save(t, s, "action_lifecycle", pbJSON)
	for i, want := range []bool{true, false} {
		if had, err := s.DeletePostback(t.Context(), "action_lifecycle"); had != want || err != nil {
			t.Fatalf("delete %d: %v, %v; want %v", i+1, had, err, want)
		}
	}
	if _, ok, err := s.LoadPostback(t.Context(), "action_lifecycle"); ok || err != nil {
		t.Fatalf("loads after delete: %v, %v", ok, err)
	}
}

func configAll(t *testing.T, s mockimpact.ConfigStore) {
	if m, err := s.LoadPostbacks(t.Context()); err != nil || len(m) != 0 {
		t.Fatalf("an empty store: %v, %v", m, err)
	}
	want := map[string]string{}
	for i, event := range []string{"action_lifecycle", "job_completed", "publisher_application"} {
		want[event] = fmt.Sprintf(`{"url":"https://brand.example/%d"}`, i)
		save(t, s, event, want[event])
	}
	m, err := s.LoadPostbacks(t.Context())
	if err != nil || len(m) != len(want) {
		t.Fatalf("LoadPostbacks: %v, %v", m, err)
	}
	for event, config := range want {
		if string(m[event]) != config {
			t.Errorf("%s: %q; want %q", event, m[event], config)
		}
	}
}
