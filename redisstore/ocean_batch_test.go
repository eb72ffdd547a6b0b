package redisstore

import (
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockocean"
)

// storeFunc is a mockocean.Store made of a function, for a test that
// wants the state a Server opened.
type storeFunc func(mockocean.StateConfig) mockocean.State

func (f storeFunc) Open(c mockocean.StateConfig) mockocean.State { return f(c) }

// TestBatcherLosesNothing: requests queued while batches are on their way
// are all sent, once each, in arrival order within a flusher's stream,
// in batches within the bounds, by at most batchFlushers at a time.
func TestBatcherLosesNothing(t *testing.T) {
	var running, most atomic.Int32
	var mu sync.Mutex
	seen := map[string]int{}
	var sizes []int
	gate := make(chan struct{})
	b := &batcher{run: func(batch []*pendingRecord) error {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-gate // hold the first batches until the others have queued
		bytes := 0
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(batch))
		for _, p := range batch {
			seen[p.payload]++
			bytes += len(p.payload)
			p.seq = int64(len(seen))
		}
		if len(batch) > batchMax || (len(batch) > 1 && bytes > batchMaxBytes) {
			t.Errorf("a batch of %d requests, %d bytes", len(batch), bytes)
		}
		return nil
	}}
	const n = 1000
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := strconv.Itoa(i)
			if i%100 == 7 {
				payload += strings.Repeat("x", batchMaxBytes/3) // some big ones
			}
			p := &pendingRecord{payload: payload}
			b.do(p)
			if p.seq == 0 {
				t.Errorf("request %d returned unsent", i)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // real time: let the requests queue behind the gate
	close(gate)
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d requests sent, want %d", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("request %.10q sent %d times", k, c)
		}
	}
	if m := most.Load(); m > batchFlushers || m < 1 {
		t.Fatalf("%d batches on their way at once, want at most %d", m, batchFlushers)
	}
	if len(sizes) >= n {
		t.Fatalf("%d batches for %d requests: nothing was batched", len(sizes), n)
	}
	// The flushers end just after they answer their last batch.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		b.mu.Lock()
		active, queued := b.active, len(b.queue)
		b.mu.Unlock()
		if active == 0 && queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the load: %d flushers, %d queued", active, queued)
		}
	}
}

// TestBatcherError: when a batch fails, each of its requests gets the
// error, and the next batch is sent.
func TestBatcherError(t *testing.T) {
	calls := 0
	b := &batcher{run: func(batch []*pendingRecord) error {
		calls++
		if calls == 1 {
			return errors.New("redis went away")
		}
		return nil
	}}
	p1, p2 := &pendingRecord{payload: "1"}, &pendingRecord{payload: "2"}
	b.do(p1)
	b.do(p2)
	if p1.err == nil || p2.err != nil || calls != 2 {
		t.Fatalf("first %v, second %v, %d calls; want the first failed and the second sent", p1.err, p2.err, calls)
	}
}

// TestKeyTTLsRenewedOnceARefreshPeriod: a key just created gets its TTL; later
// requests leave the TTLs alone until keyRefresh has passed on the real
// clock, when one request renews every key's.
func TestKeyTTLsRenewedOnceARefreshPeriod(t *testing.T) {
	rs := redistest.Start(t)
	store, err := Open(Options{URL: rs.URL(), Prefix: "ttl:", IdleTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var st *oceanState
	s := mockocean.New(mockocean.Config{DedupTTL: 10 * time.Minute, Store: storeFunc(func(c mockocean.StateConfig) mockocean.State {
		st = store.Ocean("default").Open(c).(*oceanState)
		return st
	})})
	real := time.Unix(1_800_000_000, 0)
	st.realNow = func() time.Time { return real }
	send := func(id string) {
		t.Helper()
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", mockocean.ActivatePath+"?callback=c&event_type=0&idfa=i&outer_event_id="+id, nil))
		if w.Code != 200 {
			t.Fatalf("HTTP %d %s", w.Code, w.Body)
		}
	}
	keys := map[string]time.Duration{ // key → the TTL it should have
		"ttl:{default}:ocean:dedup": 10*time.Minute + 2*keyRefresh, "ttl:{default}:ocean:dedup:stats": time.Hour + 2*keyRefresh,
		"ttl:{default}:ocean:journal": time.Hour + 2*keyRefresh, "ttl:{default}:ocean:journal:meta": time.Hour + 2*keyRefresh,
	}
	pttl := func(k string) time.Duration {
		t.Helper()
		got, err := rs.Do("PTTL", k)
		ms, err2 := strconv.Atoi(strings.TrimPrefix(got, ":"))
		if err != nil || err2 != nil {
			t.Fatalf("PTTL %s: %q %v", k, got, err)
		}
		return time.Duration(ms) * time.Millisecond
	}
	check := func(when string) {
		t.Helper()
		for k, want := range keys {
			if got := pttl(k); got <= want-time.Minute || got > want {
				t.Errorf("%s: PTTL %s = %v, want about %v", when, k, got, want)
			}
		}
	}
	send("a") // creates every key but the stats hash, refreshing all
	if _, err := rs.Do("HSET", "ttl:{default}:ocean:dedup:stats", "evicted", "0"); err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		if _, err := rs.Do("PERSIST", k); err != nil {
			t.Fatal(err)
		}
	}
	real = real.Add(keyRefresh - time.Second)
	send("b")
	for k := range keys {
		if got := pttl(k); got != -time.Millisecond {
			t.Errorf("before the refresh is due: PTTL %s = %v, want none (-1ms)", k, got)
		}
	}
	real = real.Add(time.Second)
	send("c")
	check("at the refresh")
	if _, err := rs.Do("DEL", "ttl:{default}:ocean:journal", "ttl:{default}:ocean:journal:meta", "ttl:{default}:ocean:dedup"); err != nil {
		t.Fatal(err)
	}
	send("d") // recreates them between refreshes
	for _, k := range []string{"ttl:{default}:ocean:journal", "ttl:{default}:ocean:journal:meta", "ttl:{default}:ocean:dedup"} {
		if got, want := pttl(k), keys[k]; got <= want-time.Minute || got > want {
			t.Errorf("a key created between refreshes: PTTL %s = %v, want about %v", k, got, want)
		}
	}
}
