package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/store"
)

// TestAnswered503NeverCountsLater: with Redis paused (SIGSTOP) past the
// client's timeout, a request fails (the sandbox answers 503), and when
// Redis resumes, the script that sat on its socket does nothing: the
// same request sent again is accepted as new, and the journal holds it
// once.
func TestAnswered503NeverCountsLater(t *testing.T) {
	rs := redistest.Start(t)
	st, _ := openState(t, rs, mockocean.StateConfig{})
	ctx := context.Background()
	if _, fresh, err := recordOne(ctx, st, "warm", "w"); err != nil || !fresh {
		t.Fatalf("first record: fresh %v, %v", fresh, err)
	}
	rs.Pause()
	_, _, err := recordOne(ctx, st, "paused", "x")
	time.Sleep(700 * time.Millisecond) // real time: past the script's deadline, as a client retrying later
	rs.Resume()
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("a record while Redis is paused: %v, want unavailable (503)", err)
	}
	_, fresh, err := recordOne(ctx, st, "again", "x")
	if err != nil || !fresh {
		t.Fatalf("the request sent again after the 503: fresh %v, %v; want accepted as new", fresh, err)
	}
	es, err := st.Entries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, e := range es {
		bodies = append(bodies, e.Raw.Body)
	}
	if fmt.Sprint(bodies) != "[warm again]" {
		t.Errorf("journal %v, want [warm again]: the request answered 503 was recorded", bodies)
	}
}

// TestAnswered503NeverCountsLaterUnderLoad: concurrent requests with
// unique ids while Redis is paused and resumed three times: of every
// request that failed, none is in the duplicate filter or the journal
// afterwards: neither those whose script was still waiting (the
// deadline) nor those whose script had run when Redis stopped, before
// it replied (the withdrawal).
func TestAnswered503NeverCountsLaterUnderLoad(t *testing.T) {
	rs := redistest.Start(t)
	st, _ := openState(t, rs, mockocean.StateConfig{})
	ctx := context.Background()
	var mu sync.Mutex
	var failed, ok []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				_, _, err := recordOne(ctx, st, id, id)
				mu.Lock()
				if err != nil {
					failed = append(failed, id)
				} else {
					ok = append(ok, id)
				}
				mu.Unlock()
			}
		}()
	}
	for range 3 {
		time.Sleep(300 * time.Millisecond) // real time: traffic flows
		rs.Pause()
		time.Sleep(2500 * time.Millisecond) // past the client's timeout
		rs.Resume()
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(failed) == 0 {
		t.Fatal("no request failed: Redis was not paused long enough for the test to mean anything")
	}
	es, err := st.Entries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	journaled := map[string]bool{}
	for _, e := range es {
		journaled[e.Raw.Body] = true
	}
	counted := 0
	for _, id := range failed {
		if journaled[id] {
			counted++
			continue
		}
		if _, fresh, err := recordOne(ctx, st, id, id); err != nil || !fresh {
			counted++
		}
	}
	if counted > 0 {
		t.Errorf("%d of %d requests answered 503 took effect later", counted, len(failed))
	}
	for _, id := range ok {
		if !journaled[id] {
			t.Fatalf("accepted request %s is not in the journal", id)
		}
	}
	t.Logf("%d accepted, %d failed (503), %d of them counted later", len(ok), len(failed), counted)
}

// TestWithdrawnBatchLeavesNoTrace: a batch that was recorded, then
// withdrawn as its caller would after a lost answer, leaves neither its
// ids (sent again, they are first requests) nor its journal entries
// (their tombstones are skipped by every reader), and the journal's
// bytes no longer count them; its done record is gone.
func TestWithdrawnBatchLeavesNoTrace(t *testing.T) {
	rs := redistest.Start(t)
	st, _ := openState(t, rs, mockocean.StateConfig{})
	ctx := context.Background()
	if _, _, err := recordOne(ctx, st, "kept", "k"); err != nil {
		t.Fatal(err)
	}
	before, err := st.JournalStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := st.client.Keys(ctx, st.kJournal+":done:*").Result()
	for _, k := range keys {
		st.client.Del(ctx, k)
	}
	batch := []*pendingRecord{
		{member: dedupMember("a"), size: 100, dupSize: 100, payload: encodeEntry(&mockocean.Entry{Raw: mockocean.Raw{Body: "a"}}, "a")},
		{member: dedupMember("k"), size: 100, dupSize: 100, payload: encodeEntry(&mockocean.Entry{Raw: mockocean.Raw{Body: "k again"}}, "k")},
	}
	if err := st.runBatch(batch); err != nil || !batch[0].fresh || batch[1].fresh {
		t.Fatalf("batch: %v, fresh %v %v", err, batch[0].fresh, batch[1].fresh)
	}
	keys, _ = st.client.Keys(ctx, st.kJournal+":done:*").Result()
	if len(keys) != 1 {
		t.Fatalf("done records %v, want the batch's", keys)
	}
	st.withdrawLater(strings.TrimPrefix(keys[0], st.kJournal+":done:"))
	for start := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		st.mu.Lock()
		busy := st.withdrawing
		st.mu.Unlock()
		if !busy {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the withdrawal did not end")
		}
	}
	es, _ := st.Entries(ctx)
	if len(es) != 1 || es[0].Raw.Body != "kept" {
		t.Fatalf("journal after the withdrawal: %+v; want the first request only", es)
	}
	if _, ok, err := st.Entry(ctx, uint64(batch[0].seq)); ok || err != nil {
		t.Errorf("Entry(%d) of a withdrawn request: found %v, %v", batch[0].seq, ok, err)
	}
	if after, _ := st.JournalStats(ctx); after.Bytes != before.Bytes {
		t.Errorf("journal bytes %d after, %d before: the withdrawn entries still count", after.Bytes, before.Bytes)
	}
	if _, fresh, _ := recordOne(ctx, st, "a again", "a"); !fresh {
		t.Error("the withdrawn batch's new id is still remembered")
	}
	if _, fresh, _ := recordOne(ctx, st, "k third", "k"); fresh {
		t.Error("an id the withdrawn batch found known was forgotten")
	}
	if keys, _ := st.client.Keys(ctx, st.kJournal+":done:*").Result(); len(keys) != 2 {
		t.Errorf("done records %v, want only the two records just made", keys)
	}
}
