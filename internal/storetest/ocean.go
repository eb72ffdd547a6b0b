// Package storetest holds the conformance suites of the state
// interfaces: one contract, run against every implementation (the memory
// ones beside the interfaces, and package redisstore on a real
// redis-server), so that a backend cannot drift from the others.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/store"
)

// OpenOcean opens an empty mockocean.State with c's bounds, apart from
// every state opened before: a new namespace on a shared store.
type OpenOcean func(t *testing.T, c mockocean.StateConfig) mockocean.State

// oceanConfig is c with a Server's defaults for its zero fields and a
// virtual clock.
func oceanConfig(c mockocean.StateConfig) (mockocean.StateConfig, *clock.Virtual) {
	vc := clock.NewVirtual(time.Unix(1_700_000_000, 0))
	c.Clock = vc
	if c.DedupCapacity == 0 {
		c.DedupCapacity = mockocean.DefaultDedupCapacity
	}
	if c.DedupTTL == 0 {
		c.DedupTTL = mockocean.DefaultDedupTTL
	}
	return c, vc
}

// entry is an accepted conversion's journal entry, its body naming it.
func entry(vc *clock.Virtual, body string) mockocean.Entry {
	return mockocean.Entry{Time: vc.Now(), Raw: mockocean.Raw{Method: http.MethodPost, ContentType: "application/json", Body: body},
		Decoded: true, Path: mockocean.ActivatePath, Status: http.StatusOK, Answered: true, Msg: "success"}
}

// record journals entry(body) with outer_event_id id and returns its
// number and the filter's verdict.
func record(t *testing.T, st mockocean.State, vc *clock.Virtual, body, id string) (uint64, bool) {
	t.Helper()
	e, fresh, faults, err := st.Record(context.Background(), entry(vc, body), id, false)
	if err != nil || faults {
		t.Fatalf("Record(%q, %q): faults %v, %v", body, id, faults, err)
	}
	if fresh == (e.Code == mockocean.CodeDuplicate) || fresh == strings.Contains(e.Detail, id+" was accepted before") {
		t.Fatalf("Record(%q, %q): fresh %v, returned as journaled with code %d, detail %q", body, id, fresh, e.Code, e.Detail)
	}
	return e.Seq, fresh
}

// bodies lists the entries' bodies.
func bodies(entries []mockocean.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Raw.Body
	}
	return out
}

// seqs lists the entries' numbers.
func seqs(entries []mockocean.Entry) []uint64 {
	out := make([]uint64, len(entries))
	for i, e := range entries {
		out[i] = e.Seq
	}
	return out
}

// Ocean runs the mockocean.State contract against the states open
// returns.
func Ocean(t *testing.T, open OpenOcean) {
	ctx := context.Background()
	t.Run("journal numbers and keeps entries as received", func(t *testing.T) {
		c, vc := oceanConfig(mockocean.StateConfig{})
		st := open(t, c)
		e := entry(vc, "\xff not UTF-8 {")
		e.Warnings, e.Notes, e.Replica = []string{"w"}, []string{"n1", "n2"}, "r1"
		if got, fresh, faults, err := st.Record(ctx, e, "", false); err != nil || faults || !fresh || got.Seq != 1 {
			t.Fatalf("Record: seq %d, fresh %v, faults %v, %v; want seq 1, fresh", got.Seq, fresh, faults, err)
		}
		for i := range 4 {
			vc.Advance(time.Second)
			record(t, st, vc, fmt.Sprint("b", i), "")
		}
		all := testtb.Must(st.Entries(ctx))
		if got, want := seqs(all), []uint64{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
			t.Fatalf("Entries: seqs %v, want %v", got, want)
		}
		first := all[0]
		if !first.Time.Equal(e.Time) || first.Raw != e.Raw || first.Replica != "r1" || !slices.Equal(first.Notes, e.Notes) ||
			!slices.Equal(first.Warnings, e.Warnings) || first.Status != http.StatusOK || !first.Answered || first.Msg != "success" {
			t.Errorf("Entries[0] = %+v, want %+v", first, e)
		}
		if got := bodies(testtb.Must(st.Since(ctx, 3))); !slices.Equal(got, []string{"b2", "b3"}) {
			t.Errorf("Since(3) = %q, want b2 b3", got)
		}
		if got := testtb.Must(st.Since(ctx, 5)); len(got) != 0 {
			t.Errorf("Since(5) = %d entries, want none", len(got))
		}
		odd := func(e *mockocean.Entry) bool { return e.Seq%2 == 1 }
		if got := seqs(testtb.Must(st.Newest(ctx, 2, 0, odd))); !slices.Equal(got, []uint64{3, 5}) {
			t.Errorf("Newest(2, 0, odd) = %v, want 3 5", got)
		}
		if got := seqs(testtb.Must(st.Newest(ctx, 10, 3, nil))); !slices.Equal(got, []uint64{4, 5}) {
			t.Errorf("Newest(10, 3) = %v, want 4 5", got)
		}
		got, ok, err := st.Entry(ctx, 2)
		if err != nil || !ok || got.Raw.Body != "b0" {
			t.Errorf("Entry(2) = %q, %v, %v; want b0", got.Raw.Body, ok, err)
		}
		if _, ok, err := st.Entry(ctx, 6); err != nil || ok {
			t.Errorf("Entry(6) of 5: ok %v, %v", ok, err)
		}
		st2 := testtb.Must(st.JournalStats(ctx))
		if st2.Stored != 5 || st2.Received != 5 || st2.Evicted != 0 {
			t.Errorf("JournalStats = %+v, want 5 stored and received", st2)
		}
	})

	t.Run("journal bounds evict the oldest", func(t *testing.T) {
		c, vc := oceanConfig(mockocean.StateConfig{JournalCapacity: 3})
		st := open(t, c)
		for i := range 5 {
			record(t, st, vc, fmt.Sprint("b", i), "")
		}
		if got := seqs(testtb.Must(st.Entries(ctx))); !slices.Equal(got, []uint64{3, 4, 5}) {
			t.Errorf("capacity 3: %v, want 3 4 5", got)
		}
		if _, ok, _ := st.Entry(ctx, 1); ok {
			t.Error("Entry(1) still there after its eviction")
		}
		js := testtb.Must(st.JournalStats(ctx))
		if js.Stored != 3 || js.Received != 5 || js.Evicted != 2 || js.Capacity != 3 {
			t.Errorf("JournalStats = %+v, want 3 stored, 5 received, 2 evicted", js)
		}

		big := entry(vc, strings.Repeat("x", 3000))
		c, vc = oceanConfig(mockocean.StateConfig{JournalMaxBytes: 2 * big.Size()})
		st = open(t, c)
		for i := range 4 {
			record(t, st, vc, strings.Repeat("x", 2999)+fmt.Sprint(i), "")
		}
		js = testtb.Must(st.JournalStats(ctx))
		if js.Stored != 2 || js.Evicted != 2 || js.Bytes > js.MaxBytes {
			t.Errorf("byte budget of two entries: %+v", js)
		}
		huge := entry(vc, strings.Repeat("y", 10_000))
		if _, _, _, err := st.Record(ctx, huge, "", false); err != nil {
			t.Fatal(err)
		}
		if all := testtb.Must(st.Entries(ctx)); len(all) != 1 || all[0].Seq != 5 {
			t.Errorf("an entry over the budget: journal %v, want it alone (the newest always stays)", seqs(all))
		}
	})

	t.Run("reset restarts the numbering and wakes waiters", func(t *testing.T) {
		c, vc := oceanConfig(mockocean.StateConfig{})
		st := open(t, c)
		record(t, st, vc, "a", "")
		record(t, st, vc, "b", "")
		if err := st.ResetJournal(ctx); err != nil {
			t.Fatal(err)
		}
		if all := testtb.Must(st.Entries(ctx)); len(all) != 0 {
			t.Fatalf("after ResetJournal: %d entries", len(all))
		}
		if seq, _ := record(t, st, vc, "c", ""); seq != 1 {
			t.Errorf("first entry after ResetJournal numbered %d, want 1", seq)
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if err := st.Wait(short, 2); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Wait(2) with one request: %v, want the context's deadline", err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() { // a shared state polls on its clock: move it
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
					vc.Advance(10 * time.Millisecond)
				}
			}
		}()
		done := make(chan error, 1)
		go func() { done <- st.Wait(ctx, 2) }()
		record(t, st, vc, "d", "")
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Wait(2) with two requests: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Wait(2) did not return after the second request")
		}
	})

	t.Run("changed closes after a request", func(t *testing.T) {
		c, vc := oceanConfig(mockocean.StateConfig{})
		st := open(t, c)
		ch := st.Changed()
		record(t, st, vc, "a", "")
		vc.Advance(time.Second) // a shared state's readers poll on the clock
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("Changed was not closed after a request and a second of the clock")
		}
	})

	t.Run("duplicate filter accepts an id once", func(t *testing.T) {
		c, vc := oceanConfig(mockocean.StateConfig{DedupTTL: time.Hour, DedupCapacity: 3})
		st := open(t, c)
		if _, fresh := record(t, st, vc, "1", "o1"); !fresh {
			t.Fatal("first o1 not fresh")
		}
		if seq, fresh := record(t, st, vc, "2", "o1"); fresh || seq != 2 {
			t.Fatalf("second o1: seq %d, fresh %v; want 2, a duplicate", seq, fresh)
		}
		if got := testtb.Must(st.Entries(ctx))[1]; got.Code != mockocean.CodeDuplicate || got.Raw.Body != "2" || !strings.Contains(got.Detail, "o1") {
			t.Errorf("the duplicate journaled as code %d, body %q, detail %q; want 40004, 2, naming o1", got.Code, got.Raw.Body, got.Detail)
		}
		if _, fresh := record(t, st, vc, "3", ""); !fresh {
			t.Error("a request without an id is never a duplicate")
		}
		vc.Advance(time.Hour) // o1 expires
		if _, fresh := record(t, st, vc, "4", "o1"); !fresh {
			t.Error("o1 after its TTL: not fresh")
		}
		for _, id := range []string{"o2", "o3", "o4"} { // o1 is the oldest: evicted by o4
			vc.Advance(time.Second)
			record(t, st, vc, id, id)
		}
		if _, fresh := record(t, st, vc, "5", "o1"); !fresh {
			t.Error("o1 evicted at capacity: not fresh")
		}
		ds := testtb.Must(st.DedupStats(ctx))
		if ds.Size != 3 || ds.Capacity != 3 || ds.TTL != time.Hour || ds.Expired != 1 || ds.Evicted != 2 || ds.Bytes <= 0 {
			t.Errorf("DedupStats = %+v, want 3 held of 3, 1 expired, 2 evicted", ds)
		}
		if err := st.ResetDedup(ctx); err != nil {
			t.Fatal(err)
		}
		if _, fresh := record(t, st, vc, "6", "o3"); !fresh {
			t.Error("o3 after ResetDedup: not fresh")
		}
	})

	t.Run("fault rules", func(t *testing.T) {
		c, vc := oceanConfig(mockocean.StateConfig{})
		st := open(t, c)
		e := entry(vc, "a")
		if _, _, faults, err := st.Record(ctx, e, "", true); err != nil || faults {
			t.Fatalf("Record unless faults, no rule: faults %v, %v", faults, err)
		}
		f1 := testtb.Must(st.AddFault(ctx, mockocean.Fault{Status: 503, Times: 2, Match: map[string]string{"event_type": "2"}}))
		f2 := testtb.Must(st.AddFault(ctx, mockocean.Fault{ID: "mine", Code: 40002, Msg: "m"}))
		if f1.ID != "f1" || f2.ID != "mine" {
			t.Fatalf("rule ids %q %q, want f1 mine", f1.ID, f2.ID)
		}
		if _, err := st.AddFault(ctx, mockocean.Fault{ID: "mine", Drop: true}); err == nil || errors.Is(err, store.ErrUnavailable) ||
			!strings.Contains(err.Error(), "mine") {
			t.Errorf("an id in use: %v; want an error naming it, not an outage", err)
		}
		declined := entry(vc, "b")
		if _, _, faults, err := st.Record(ctx, declined, "o9", true); err != nil || !faults {
			t.Fatalf("Record unless faults with rules: faults %v, %v", faults, err)
		}
		if n := testtb.Must(st.JournalStats(ctx)).Received; n != 1 {
			t.Errorf("a declined request was journaled: %d received", n)
		}
		if _, fresh := record(t, st, vc, "c", "o9"); !fresh {
			t.Error("a declined request's id was remembered")
		}
		match := map[string]string{"event_type": "2"}
		var picked []string
		for range 3 {
			f, ok := pick(st, match)
			if !ok {
				picked = append(picked, "-")
				continue
			}
			picked = append(picked, f.ID)
		}
		if want := []string{"f1", "f1", "mine"}; !slices.Equal(picked, want) {
			t.Errorf("rules picked %q, want %q (f1 twice, then the next)", picked, want)
		}
		if f, ok := pick(st, map[string]string{"event_type": "0"}); !ok || f.ID != "mine" {
			t.Errorf("event_type 0 picked %q, %v; want mine (f1 does not match)", f.ID, ok)
		}
		list := testtb.Must(st.Faults(ctx))
		if len(list) != 2 || list[0].ID != "f1" || list[0].Hits != 2 || list[1].Hits != 2 || list[1].Msg != "m" {
			t.Errorf("Faults = %+v, want f1 (2 hits), mine (2 hits)", list)
		}
		if ok := testtb.Must(st.RemoveFault(ctx, "f1")); !ok {
			t.Error("RemoveFault(f1) found nothing")
		}
		if ok := testtb.Must(st.RemoveFault(ctx, "f1")); ok {
			t.Error("RemoveFault(f1) twice found it again")
		}
		if err := st.ClearFaults(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := pick(st, match); ok {
			t.Error("a rule picked after ClearFaults")
		}
		again := entry(vc, "d")
		if _, _, faults, err := st.Record(ctx, again, "", true); err != nil || faults {
			t.Errorf("Record unless faults after ClearFaults: faults %v, %v", faults, err)
		}
		if err := st.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
}

// pick is PickFault, panicking on an error.
func pick(st mockocean.State, values map[string]string) (mockocean.Fault, bool) {
	f, ok, err := st.PickFault(context.Background(), mockocean.APITrack, values)
	if err != nil {
		panic(err)
	}
	return f, ok
}
