package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockocean"
)

// openState opens the Ocean state of namespace "default" on rs with c's
// bounds (a Server's defaults for the zero ones), its real clock replaced
// by a fake one the test moves.
func openState(t *testing.T, rs *redistest.Server, c mockocean.StateConfig) (*oceanState, *time.Time) {
	t.Helper()
	st, err := Open(Options{URL: rs.URL(), Prefix: "rv:", IdleTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	os := st.Ocean("default").Open(stateConfig(c)).(*oceanState)
	real := time.Unix(1_800_000_000, 0)
	os.realNow = func() time.Time { return real }
	return os, &real
}

// stateConfig is c with a Server's defaults for its zero fields.
func stateConfig(c mockocean.StateConfig) mockocean.StateConfig {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.DedupCapacity == 0 {
		c.DedupCapacity = mockocean.DefaultDedupCapacity
	}
	if c.DedupTTL == 0 {
		c.DedupTTL = mockocean.DefaultDedupTTL
	}
	return c
}

// sampleEntry is an accepted conversion's entry.
func sampleEntry(body string) mockocean.Entry {
	return mockocean.Entry{Time: time.Unix(1_700_000_000, 0), Raw: mockocean.Raw{Method: "POST", Body: body}, Decoded: true, Path: mockocean.ActivatePath,
		Status: 200, Answered: true}
}

// recordOne records sampleEntry(body) with id in st, and returns its
// number and the filter's verdict.
func recordOne(ctx context.Context, st mockocean.State, body, id string) (uint64, bool, error) {
	e, fresh, _, err := st.Record(ctx, sampleEntry(body), id, false)
	return e.Seq, fresh, err
}

func pttl(t *testing.T, rs *redistest.Server, key string) time.Duration {
	t.Helper()
	got, err := rs.Do("PTTL", key)
	ms, err2 := strconv.Atoi(strings.TrimPrefix(got, ":"))
	if err != nil || err2 != nil {
		t.Fatalf("PTTL %s: %q %v", key, got, err)
	}
	return time.Duration(ms) * time.Millisecond
}

// TestNewKeysGetTheirTTLAtOnce: a key the record script creates gets
// its TTL in the same call, not at the next refresh: the filter's sorted
// set emptied and created again by the capacity path (capacity 1: the
// ZPOPMIN takes the only id; or every remembered id has expired), and
// the stats hash created by HINCRBY. Without it, a sandbox that goes idle
// between refreshes keeps them for ever.
func TestNewKeysGetTheirTTLAtOnce(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	t.Run("capacity 1", func(t *testing.T) {
		st, _ := openState(t, rs, mockocean.StateConfig{DedupCapacity: 1})
		_, _ = st.client.Del(ctx, st.kDedup, st.kDedupStats).Result()
		for _, id := range []string{"a", "b"} { // the first refreshes; the second evicts a
			if _, fresh, err := recordOne(ctx, st, "", id); err != nil || !fresh {
				t.Fatalf("record %s: fresh %v, %v", id, fresh, err)
			}
		}
		for _, k := range []string{st.kDedup, st.kDedupStats} {
			if got := pttl(t, rs, k); got <= 0 {
				t.Errorf("PTTL %s = %v after the filter evicted an id: no TTL", k, got)
			}
		}
	})
	t.Run("full of expired ids", func(t *testing.T) {
		vc := clock.NewVirtual(time.Unix(1_700_000_000, 0))
		st, _ := openState(t, rs, mockocean.StateConfig{Clock: vc, DedupCapacity: 2, DedupTTL: time.Minute})
		_, _ = st.client.Del(ctx, st.kDedup, st.kDedupStats).Result()
		for _, id := range []string{"a", "b"} {
			if _, _, err := recordOne(ctx, st, "", id); err != nil {
				t.Fatal(err)
			}
		}
		vc.Advance(2 * time.Minute) // a and b expire
		if _, fresh, err := recordOne(ctx, st, "", "c"); err != nil || !fresh {
			t.Fatalf("record c: fresh %v, %v", fresh, err)
		}
		for _, k := range []string{st.kDedup, st.kDedupStats} {
			if got := pttl(t, rs, k); got <= 0 {
				t.Errorf("PTTL %s = %v after the expired ids were swept at capacity: no TTL", k, got)
			}
		}
	})
}

// decay makes Redis's TTLs of keys d shorter and moves the fake
// real clock d on: d of real time passing, for the refresh logic.
func decay(t *testing.T, rs *redistest.Server, real *time.Time, d time.Duration, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if p := pttl(t, rs, k); p > 0 {
			if _, err := rs.Do("PEXPIRE", k, strconv.FormatInt((p-d).Milliseconds(), 10)); err != nil {
				t.Fatal(err)
			}
		}
	}
	*real = real.Add(d)
}

// TestJournalTTLRefreshedWhenTheRefreshMeetsAFaultRule: with a fault
// rule, a request is first declined by the record script (unless
// faults) and then recorded. When the minute's refresh falls on the
// declined call, it still renews the journal's TTL, so the journal
// written in the following minute never lapses before its idle TTL
// after its last write.
func TestJournalTTLRefreshedWhenTheRefreshMeetsAFaultRule(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	st, real := openState(t, rs, mockocean.StateConfig{})
	keys := []string{st.kJournal, st.kJournalMeta}
	if _, _, err := recordOne(ctx, st, "", ""); err != nil { // creates and refreshes
		t.Fatal(err)
	}
	if err := st.client.RPush(ctx, st.kFaultIDs, "f1").Err(); err != nil { // a fault rule exists
		t.Fatal(err)
	}
	decay(t, rs, real, 90*time.Second, keys...)
	if _, _, faults, err := st.Record(ctx, sampleEntry(""), "", true); err != nil || !faults {
		t.Fatalf("Record unless faults: faults %v, %v", faults, err)
	}
	if _, _, err := recordOne(ctx, st, "", ""); err != nil {
		t.Fatal(err)
	}
	decay(t, rs, real, 50*time.Second, keys...)
	if _, _, err := recordOne(ctx, st, "", ""); err != nil { // the last write
		t.Fatal(err)
	}
	for _, k := range keys {
		if got := pttl(t, rs, k); got < time.Hour {
			t.Errorf("PTTL %s = %v just after a write, want at least the idle TTL, 1h", k, got)
		}
	}
}

// TestKeyTTLRefreshRetriedAfterAFailedBatch: when the batch that was to
// refresh the keys' TTLs fails (Redis unreachable for a moment), the
// next batch refreshes them (a call that only withdraws the failed batch
// does not take the refresh), not one a minute later: no key lapses
// before what it holds (the journal its idle TTL, the filter the id's
// expiry).
func TestKeyTTLRefreshRetriedAfterAFailedBatch(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	st, real := openState(t, rs, mockocean.StateConfig{DedupTTL: 10 * time.Minute})
	keys := []string{st.kJournal, st.kJournalMeta, st.kDedup}
	if _, _, err := recordOne(ctx, st, "", "a"); err != nil {
		t.Fatal(err)
	}
	decay(t, rs, real, 90*time.Second, keys...)
	// Redis stalled for one batch: paused past the client's timeout.
	rs.Pause()
	_, _, err := recordOne(ctx, st, "", "b")
	rs.Resume()
	if err == nil {
		t.Fatal("record with Redis paused succeeded")
	}
	decay(t, rs, real, 50*time.Second, keys...)
	if _, _, err := recordOne(ctx, st, "", "b"); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]time.Duration{st.kJournal: time.Hour, st.kJournalMeta: time.Hour, st.kDedup: 10 * time.Minute} {
		if got := pttl(t, rs, k); got < want {
			t.Errorf("PTTL %s = %v just after a write, want at least %v", k, got, want)
		}
	}
}

// pendingRecords builds pending records as runRecord does.
func pendingRecords(ids ...string) []*pendingRecord {
	var out []*pendingRecord
	for _, id := range ids {
		e := sampleEntry("b")
		p := &pendingRecord{size: e.Size(), payload: encodeEntry(&e, id)}
		p.dupSize = p.size
		if id != "" {
			p.member = dedupMember(id)
			dup := e
			dup.MarkDuplicate(id)
			p.dupSize = dup.Size()
		}
		out = append(out, p)
	}
	return out
}

// TestBatchEvictsInArrivalOrder: each id of a batch is scored from its
// own arrival, so at capacity the filter evicts in arrival order, not by
// the bytes of the ids' hashes: with capacity 2, A B C A (A's hash above
// B's) is four acceptances one at a time in memory (C evicts A, A evicts
// B), and in one batch on Redis too. Each request in a call is checked
// exactly as if it came alone.
func TestBatchEvictsInArrivalOrder(t *testing.T) {
	// Ids whose hashes sort B < A.
	a, b := "tie-a", ""
	for i := 0; b == ""; i++ {
		if c := "tie-b" + strconv.Itoa(i); dedupMember(c) < dedupMember(a) {
			b = c
		}
	}
	seq := []string{a, b, "tie-c", a}

	mem := mockocean.MemoryStore{}.Open(stateConfig(mockocean.StateConfig{DedupCapacity: 2}))
	var want []bool
	for _, id := range seq {
		_, fresh, _ := recordOne(context.Background(), mem, "", id)
		want = append(want, fresh)
	}

	rs := redistest.Start(t)
	st, _ := openState(t, rs, mockocean.StateConfig{DedupCapacity: 2})
	batch := pendingRecords(seq...)
	base := time.Now().UnixMicro()
	for i, p := range batch { // received one after another, as runRecord stamps them
		p.at = base + int64(i)
	}
	if err := st.runBatch(batch); err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, p := range batch {
		got = append(got, p.fresh)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ids %q in one batch: fresh %v; memory (and one request at a time): %v", seq, got, want)
	}
}

// TestBatchAcceptsAnIDOnce: an id twice in one batch is accepted once;
// a batch mixing "unless faults" requests and plain ones with a rule
// present records only the plain ones, numbered without gaps, and
// remembers no declined request's id.
func TestBatchAcceptsAnIDOnce(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	st, _ := openState(t, rs, mockocean.StateConfig{})
	batch := pendingRecords("x", "x", "", "y")
	if err := st.runBatch(batch); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(batch[0].fresh, batch[1].fresh, batch[2].fresh, batch[3].fresh, batch[0].seq, batch[3].seq)
	if want := "true false true true 1 4"; got != want {
		t.Fatalf("fresh and seq %s, want %s", got, want)
	}
	_ = st.client.RPush(ctx, st.kFaultIDs, "f1").Err()
	batch = pendingRecords("z", "x", "w")
	batch[0].unlessFaults, batch[2].unlessFaults = true, true
	if err := st.runBatch(batch); err != nil {
		t.Fatal(err)
	}
	if !batch[0].faults || batch[1].faults || !batch[2].faults || batch[1].seq != 5 || batch[1].fresh {
		t.Fatalf("mixed batch: %+v %+v %+v", *batch[0], *batch[1], *batch[2])
	}
	if n, _ := st.client.ZScore(ctx, st.kDedup, dedupMember("z")).Result(); n != 0 {
		t.Fatal("a declined request's id was remembered")
	}
}

// TestBatchesMatchTheMemoryState: random requests, sent to Redis in
// random batches and to the memory state one at a time on the same
// virtual clock, get the same verdicts, numbers, journal and filter
// counts (the filter never fills here: TestBatchEvictsInArrivalOrder
// checks eviction).
func TestBatchesMatchTheMemoryState(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	for round := range 6 {
		rng := rand.New(rand.NewPCG(uint64(round), 9))
		vc := clock.NewVirtual(time.Unix(1_700_000_000, 0))
		cfg := mockocean.StateConfig{Clock: vc, DedupCapacity: 1_000, DedupTTL: time.Duration(5+rng.IntN(20)) * time.Second,
			JournalCapacity: rng.IntN(30), JournalMaxBytes: int64(rng.IntN(3)) * 4000}
		mem := mockocean.MemoryStore{}.Open(stateConfig(cfg))
		st, _ := openState(t, rs, cfg)
		_ = st.client.Del(ctx, st.kDedup, st.kDedupStats, st.kJournal, st.kJournalMeta, st.kFaultIDs).Err()
		for b := range 60 {
			if b > 0 {
				vc.Advance(time.Duration(rng.IntN(3000)) * time.Millisecond)
			}
			n := 1 + rng.IntN(20)
			var ids []string
			var bodies []string
			for range n {
				id := ""
				if rng.IntN(5) > 0 {
					id = "id" + strconv.Itoa(rng.IntN(40))
				}
				ids = append(ids, id)
				bodies = append(bodies, strings.Repeat("b", rng.IntN(1500)))
			}
			batch := pendingRecords(ids...)
			for i, p := range batch {
				e := sampleEntry(bodies[i])
				p.size, p.payload = e.Size(), encodeEntry(&e, ids[i])
				p.dupSize = p.size
				if ids[i] != "" {
					dup := e
					dup.MarkDuplicate(ids[i])
					p.dupSize = dup.Size()
				}
			}
			if err := st.runBatch(batch); err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				seq, fresh, _ := recordOne(ctx, mem, bodies[i], id)
				if fresh != batch[i].fresh || int64(seq) != batch[i].seq {
					t.Fatalf("round %d: %q: redis fresh %v seq %d, memory %v %d", round, id, batch[i].fresh, batch[i].seq, fresh, seq)
				}
			}
		}
		mj, _ := mem.JournalStats(ctx)
		rj, _ := st.JournalStats(ctx)
		if mj != rj {
			t.Errorf("round %d: journal stats: redis %+v, memory %+v", round, rj, mj)
		}
		md, _ := mem.DedupStats(ctx)
		rd, _ := st.DedupStats(ctx)
		if md.Size != rd.Size || md.Evicted != rd.Evicted || md.Expired != rd.Expired {
			t.Errorf("round %d: filter stats: redis %+v, memory %+v", round, rd, md)
		}
	}
}

// TestBatchWaitBoundedWhenRedisHangs: with Redis not answering (each
// call ends at the 2 s read timeout), a request waits at most
// batchQueueWait for its call to leave, not for every batch queued
// before it: the last of 1,000 concurrent requests fails within its
// context (3 s) and the Redis timeout, whatever the backlog.
func TestBatchWaitBoundedWhenRedisHangs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns sync.WaitGroup
	go func() { // accepts, reads, never answers
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				buf := make([]byte, 1<<16)
				for {
					if _, err := c.Read(buf); err != nil {
						c.Close()
						return
					}
				}
			}()
		}
	}()
	store, err := Open(Options{URL: "redis://" + l.Addr().String() + "/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	st := store.Ocean("default").Open(stateConfig(mockocean.StateConfig{}))
	const n = 1000
	var wg sync.WaitGroup
	var mu sync.Mutex
	var longest time.Duration
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_, _, err := recordOne(ctx, st, "", "w"+strconv.Itoa(i))
			if err == nil {
				t.Error("recorded without Redis")
			}
			mu.Lock()
			longest = max(longest, time.Since(start))
			mu.Unlock()
		}()
	}
	wg.Wait()
	if longest > 5*time.Second {
		t.Errorf("the last of %d requests answered after %v: longer than its context (3s) and the Redis timeout (2s)", n, longest.Round(time.Millisecond))
	}
}
