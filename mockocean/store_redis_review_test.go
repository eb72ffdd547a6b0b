package mockocean

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
	"github.com/redis/go-redis/v9"
)

// Tests written for the review of 52877b6 (batched Redis record script).

// reviewState opens a Server on rs with cfg and returns its Redis state,
// its real clock replaced by a fake one the test moves.
func reviewState(t *testing.T, rs *redistest.Server, cfg Config) (*redisState, *time.Time) {
	t.Helper()
	store, err := NewRedisStore(RedisOptions{URL: rs.URL(), Prefix: "rv:", IdleTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	cfg.Store = store
	st := New(cfg).state.(*redisState)
	real := time.Unix(1_800_000_000, 0)
	st.realNow = func() time.Time { return real }
	return st, &real
}

// reviewEntry is an accepted conversion's entry.
func reviewEntry(body string) entry {
	return entry{time: time.Unix(1_700_000_000, 0), raw: Raw{Method: "POST", Body: body}, decoded: true, path: ActivatePath,
		status: 200, answered: true}
}

func reviewPTTL(t *testing.T, rs *redistest.Server, key string) time.Duration {
	t.Helper()
	got, err := rs.Do("PTTL", key)
	ms, err2 := strconv.Atoi(strings.TrimPrefix(got, ":"))
	if err != nil || err2 != nil {
		t.Fatalf("PTTL %s: %q %v", key, got, err)
	}
	return time.Duration(ms) * time.Millisecond
}

// TestReviewNewKeysGetTTLAtOnce: "a key just created gets its TTL at
// once" (docs/sandbox.md, DESIGN.md). The filter's sorted set is emptied
// and created again by the script's capacity path (capacity 1: the
// ZPOPMIN takes the only id; or every remembered id has expired), and
// the stats hash is created by HINCRBY, both between refreshes: neither
// gets a TTL, and a sandbox that goes idle then keeps them for ever.
func TestReviewNewKeysGetTTLAtOnce(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	t.Run("capacity 1", func(t *testing.T) {
		st, _ := reviewState(t, rs, Config{DedupCapacity: 1})
		_, _ = st.client.Del(ctx, st.kDedup, st.kDedupStats).Result()
		for _, id := range []string{"a", "b"} { // the first refreshes; the second evicts a
			if _, fresh, err := st.record(ctx, reviewEntry(""), id); err != nil || !fresh {
				t.Fatalf("record %s: fresh %v, %v", id, fresh, err)
			}
		}
		for _, k := range []string{st.kDedup, st.kDedupStats} {
			if got := reviewPTTL(t, rs, k); got <= 0 {
				t.Errorf("PTTL %s = %v after the filter evicted an id: no TTL", k, got)
			}
		}
	})
	t.Run("full of expired ids", func(t *testing.T) {
		vc := clock.NewVirtual(time.Unix(1_700_000_000, 0))
		st, _ := reviewState(t, rs, Config{Clock: vc, DedupCapacity: 2, DedupTTL: time.Minute})
		_, _ = st.client.Del(ctx, st.kDedup, st.kDedupStats).Result()
		for _, id := range []string{"a", "b"} {
			if _, _, err := st.record(ctx, reviewEntry(""), id); err != nil {
				t.Fatal(err)
			}
		}
		vc.Advance(2 * time.Minute) // a and b expire
		if _, fresh, err := st.record(ctx, reviewEntry(""), "c"); err != nil || !fresh {
			t.Fatalf("record c: fresh %v, %v", fresh, err)
		}
		for _, k := range []string{st.kDedup, st.kDedupStats} {
			if got := reviewPTTL(t, rs, k); got <= 0 {
				t.Errorf("PTTL %s = %v after the expired ids were swept at capacity: no TTL", k, got)
			}
		}
	})
}

// reviewDecay makes Redis's TTLs of keys d shorter and moves the fake
// real clock d on: d of real time passing, for the refresh logic.
func reviewDecay(t *testing.T, rs *redistest.Server, real *time.Time, d time.Duration, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if p := reviewPTTL(t, rs, k); p > 0 {
			if _, err := rs.Do("PEXPIRE", k, strconv.FormatInt((p-d).Milliseconds(), 10)); err != nil {
				t.Fatal(err)
			}
		}
	}
	*real = real.Add(d)
}

// TestReviewJournalTTLWhenRefreshFindsOnlyFaults: with a fault rule, a
// request first goes through recordUnlessFaults (declined, nothing
// journaled) and then record. When the refresh falls on the declined
// batch, refreshAt moves a minute on but the script skips the journal's
// PEXPIRE (it sits inside "if #els > 0"): the journal written in the
// following minute keeps the TTL of an older refresh, and lapses less
// than --store-ttl after its last write (here 20 s early).
func TestReviewJournalTTLWhenRefreshFindsOnlyFaults(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	st, real := reviewState(t, rs, Config{})
	keys := []string{st.kJournal, st.kJournalMeta}
	if _, _, err := st.record(ctx, reviewEntry(""), ""); err != nil { // creates and refreshes
		t.Fatal(err)
	}
	if err := st.client.RPush(ctx, st.kFaultIDs, "f1").Err(); err != nil { // a fault rule exists
		t.Fatal(err)
	}
	reviewDecay(t, rs, real, 90*time.Second, keys...)
	if _, _, faults, err := st.recordUnlessFaults(ctx, reviewEntry(""), ""); err != nil || !faults {
		t.Fatalf("recordUnlessFaults: faults %v, %v", faults, err)
	}
	if _, _, err := st.record(ctx, reviewEntry(""), ""); err != nil {
		t.Fatal(err)
	}
	reviewDecay(t, rs, real, 50*time.Second, keys...)
	if _, _, err := st.record(ctx, reviewEntry(""), ""); err != nil { // the last write
		t.Fatal(err)
	}
	for _, k := range keys {
		if got := reviewPTTL(t, rs, k); got < time.Hour {
			t.Errorf("PTTL %s = %v just after a write, want at least the idle TTL, 1h", k, got)
		}
	}
}

// TestReviewRefreshLostWhenBatchFails: refreshDue moves refreshAt a
// minute on before the script runs; when that batch fails (Redis
// unreachable for a moment), no refresh happens for another minute, and
// keys written meanwhile lapse before what they hold (here the journal
// 20 s after less than its idle TTL, the filter before the id's expiry).
func TestReviewRefreshLostWhenBatchFails(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	st, real := reviewState(t, rs, Config{DedupTTL: 10 * time.Minute})
	keys := []string{st.kJournal, st.kJournalMeta, st.kDedup}
	if _, _, err := st.record(ctx, reviewEntry(""), "a"); err != nil {
		t.Fatal(err)
	}
	reviewDecay(t, rs, real, 90*time.Second, keys...)
	// Redis unreachable for one batch: a client on a closed port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	good := st.client
	st.client = redis.NewClient(&redis.Options{Addr: dead, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	if _, _, err := st.record(ctx, reviewEntry(""), "b"); err == nil {
		t.Fatal("record through a dead client succeeded")
	}
	_ = st.client.Close()
	st.client = good
	reviewDecay(t, rs, real, 50*time.Second, keys...)
	if _, _, err := st.record(ctx, reviewEntry(""), "b"); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]time.Duration{st.kJournal: time.Hour, st.kJournalMeta: time.Hour, st.kDedup: 10 * time.Minute} {
		if got := reviewPTTL(t, rs, k); got < want {
			t.Errorf("PTTL %s = %v just after a write, want at least %v", k, got, want)
		}
	}
}

// reviewRecords builds pending records as runRecord does.
func reviewRecords(ids ...string) []*pendingRecord {
	var out []*pendingRecord
	for _, id := range ids {
		e := reviewEntry("b")
		p := &pendingRecord{size: e.size(), payload: encodeEntry(&e, id)}
		p.dupSize = p.size
		if id != "" {
			p.member = dedupMember(id)
			dup := e
			markDuplicate(&dup, id)
			p.dupSize = dup.size()
		}
		out = append(out, p)
	}
	return out
}

// TestReviewEvictionTiesInBatch: every id of a batch got the same score
// (one "now" per batch), so at capacity ZPOPMIN evicted among them by the
// bytes of their hashes, not in arrival order; each is now scored from
// its own arrival. With capacity 2, A B C A
// (A's hash above B's) is four acceptances in memory (C evicts A, A
// evicts B) and alone; in one batch C evicts B and the second A is
// answered 40004. The docs say each request in a call is checked "exactly
// as if it came alone".
func TestReviewEvictionTiesInBatch(t *testing.T) {
	// Ids whose hashes sort B < A.
	a, b := "tie-a", ""
	for i := 0; b == ""; i++ {
		if c := "tie-b" + strconv.Itoa(i); dedupMember(c) < dedupMember(a) {
			b = c
		}
	}
	seq := []string{a, b, "tie-c", a}

	mem := New(Config{DedupCapacity: 2})
	var want []bool
	for _, id := range seq {
		_, fresh, _ := mem.state.record(context.Background(), reviewEntry(""), id)
		want = append(want, fresh)
	}

	rs := redistest.Start(t)
	st, _ := reviewState(t, rs, Config{DedupCapacity: 2})
	batch := reviewRecords(seq...)
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

// TestReviewBatchSameIDTwice: an id twice in one batch is accepted once;
// a batch mixing "unless faults" requests and plain ones with a rule
// present records only the plain ones, numbered without gaps.
func TestReviewBatchSameIDTwice(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	st, _ := reviewState(t, rs, Config{})
	batch := reviewRecords("x", "x", "", "y")
	if err := st.runBatch(batch); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(batch[0].fresh, batch[1].fresh, batch[2].fresh, batch[3].fresh, batch[0].seq, batch[3].seq)
	if want := "true false true true 1 4"; got != want {
		t.Fatalf("fresh and seq %s, want %s", got, want)
	}
	_ = st.client.RPush(ctx, st.kFaultIDs, "f1").Err()
	batch = reviewRecords("z", "x", "w")
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

// TestReviewBatchesMatchMemory: random requests, sent to Redis in random
// batches and to the memory store one at a time on the same virtual
// clock, get the same verdicts, numbers, journal and filter counts (the
// filter never fills here: eviction ties are TestReviewEvictionTiesInBatch).
func TestReviewBatchesMatchMemory(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	for round := range 6 {
		rng := rand.New(rand.NewPCG(uint64(round), 9))
		vc := clock.NewVirtual(time.Unix(1_700_000_000, 0))
		cfg := Config{Clock: vc, DedupCapacity: 1_000, DedupTTL: time.Duration(5+rng.IntN(20)) * time.Second,
			JournalCapacity: rng.IntN(30), JournalMaxBytes: int64(rng.IntN(3)) * 4000}
		mem := New(cfg)
		st, _ := reviewState(t, rs, cfg)
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
			batch := reviewRecords(ids...)
			for i, p := range batch {
				e := reviewEntry(bodies[i])
				p.size, p.payload = e.size(), encodeEntry(&e, ids[i])
				p.dupSize = p.size
				if ids[i] != "" {
					dup := e
					markDuplicate(&dup, ids[i])
					p.dupSize = dup.size()
				}
			}
			if err := st.runBatch(batch); err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				e, fresh, _ := mem.state.record(ctx, reviewEntry(bodies[i]), id)
				if fresh != batch[i].fresh || int64(e.seq) != batch[i].seq {
					t.Fatalf("round %d: %q: redis fresh %v seq %d, memory %v %d", round, id, batch[i].fresh, batch[i].seq, fresh, e.seq)
				}
			}
		}
		mj, _ := mem.state.journalStats(ctx)
		rj, _ := st.journalStats(ctx)
		if mj != rj {
			t.Errorf("round %d: journal stats: redis %+v, memory %+v", round, rj, mj)
		}
		md, _ := mem.state.dedupStats(ctx)
		rd, _ := st.dedupStats(ctx)
		if md.Size != rd.Size || md.Evicted != rd.Evicted || md.Expired != rd.Expired {
			t.Errorf("round %d: filter stats: redis %+v, memory %+v", round, rd, md)
		}
	}
}

// TestReviewBatchWaitBounded: with Redis not answering (each call ends
// at the 2 s read timeout), a request waits for every batch queued
// before it (two flushers, 128 a batch), whatever its context: of 1,000
// concurrent requests the last is answered after about 8-10 s, and the
// wait grows with the backlog. Before the batcher each request failed
// on its own timeouts (2 s, or the pool's 3 s).
func TestReviewBatchWaitBounded(t *testing.T) {
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
	store, err := NewRedisStore(RedisOptions{URL: "redis://" + l.Addr().String() + "/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	st := New(Config{Store: store}).state.(*redisState)
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
			_, _, err := st.record(ctx, reviewEntry(""), "w"+strconv.Itoa(i))
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
