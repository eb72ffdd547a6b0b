package mockimpact

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
)

// slowClaims is a memory store whose Claim takes a while and sometimes
// fails, so that polls armed by concurrent fires overlap; it counts the
// attempts claimed and not yet journaled, and the most at once.
type slowClaims struct {
	*MemoryDeliveries
	failPercent int
	out, most   atomic.Int64
}

func (s *slowClaims) Claim(ctx context.Context, now time.Time, most int) ([]Claim, time.Time, bool, error) {
	time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond) // real time: widens the overlap
	if rand.IntN(100) < s.failPercent {
		return nil, time.Time{}, false, errors.New("store down for a moment")
	}
	claims, next, ok, err := s.MemoryDeliveries.Claim(ctx, now, most)
	o := s.out.Add(int64(len(claims)))
	for m := s.most.Load(); o > m && !s.most.CompareAndSwap(m, o); m = s.most.Load() {
	}
	return claims, next, ok, err
}

// Sharing has a failed claim looked at again 5 ms later, not a second
// (storeRetry).
func (s *slowClaims) Sharing() Sharing { return Sharing{Poll: 5 * time.Millisecond} }

func (s *slowClaims) Finish(ctx context.Context, d *StoredDelivery, next *time.Time, most int) (bool, error) {
	s.out.Add(-1)
	return s.MemoryDeliveries.Finish(ctx, d, next, most)
}

// fireConcurrently fires n events from firers goroutines at once to a
// receiver that answers within 3 ms, on a dispatcher with slots slots
// over store, and returns the dispatcher and how many were fired.
func fireConcurrently(t *testing.T, store DeliveryStore, slots, firers, n int, maxRPS float64) (*Dispatcher, int) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		w.Write([]byte("OK"))
	}))
	t.Cleanup(srv.Close)
	d := NewDispatcher(Options{MaxInFlight: slots, Deliveries: store})
	t.Cleanup(func() { d.Close() })
	if _, err := d.Configure(context.Background(), Postback{Event: "job_completed", URL: srv.URL + "/jobs", MaxRPS: maxRPS}); err != nil {
		t.Fatal(err)
	}
	ev := fixtures.NewImpactGen(1, time.Time{}).JobCompleted()
	var fired atomic.Int64
	var wg sync.WaitGroup
	for range firers {
		wg.Go(func() {
			for range n / firers {
				if _, err := d.Fire(context.Background(), ev); err != nil {
					t.Errorf("fire: %v", err)
					return
				}
				fired.Add(1)
			}
		})
	}
	wg.Wait()
	return d, int(fired.Load())
}

// waitIdle waits until no slot is counted busy, and fails if one stays.
func waitIdle(t *testing.T, d *Dispatcher) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); d.busy.Load() != 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // real time: attempts end on their own goroutines
	}
	if b := d.busy.Load(); b != 0 {
		t.Fatalf("%d slots still counted busy with every attempt over", b)
	}
}

// TestConcurrentPollsClaimNoMoreThanTheSlots: polls armed by fires at
// the same moment overlap (the store's Claim is slow), yet the attempts
// claimed at once never outnumber the slots, whether a claim fails or
// not; every delivery is made and the busy count comes back to zero.
func TestConcurrentPollsClaimNoMoreThanTheSlots(t *testing.T) {
	for _, c := range []struct{ slots, failPercent, events int }{{1, 0, 240}, {3, 0, 240}, {9, 0, 240}, {1, 10, 120}, {4, 10, 120}} {
		store := &slowClaims{MemoryDeliveries: NewMemoryDeliveries(), failPercent: c.failPercent}
		d, n := fireConcurrently(t, store, c.slots, 8, c.events, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := d.WaitForAttempts(ctx, n); err != nil {
			t.Fatalf("%d slots, %d %% of claims failing: waiting for %d attempts: %v", c.slots, c.failPercent, n, err)
		}
		cancel()
		waitIdle(t, d)
		if most := store.most.Load(); most > int64(c.slots) {
			t.Errorf("%d slots, %d %% of claims failing: %d attempts claimed at once", c.slots, c.failPercent, most)
		}
		if st, _ := d.Stats(context.Background()); st.Pending != 0 || st.Attempts != n {
			t.Errorf("%d slots: %+v, want %d attempts, none pending", c.slots, st, n)
		}
	}
}

// TestBusyCountBalancedThroughRateLimitAndClose: attempts the rate limit
// holds back give their slot's room away and take it again, and a close
// in the middle of a burst cancels the rest: either way each reserved or
// claimed slot is given back once.
func TestBusyCountBalancedThroughRateLimitAndClose(t *testing.T) {
	store := &slowClaims{MemoryDeliveries: NewMemoryDeliveries(), failPercent: 5}
	d, n := fireConcurrently(t, store, 3, 4, 100, 400)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.WaitForAttempts(ctx, n); err != nil {
		t.Fatalf("waiting for %d rate-limited attempts: %v", n, err)
	}
	waitIdle(t, d)

	for _, maxRPS := range []float64{0, 200} {
		store := &slowClaims{MemoryDeliveries: NewMemoryDeliveries(), failPercent: 5}
		d, _ := fireConcurrently(t, store, 3, 6, 180, maxRPS)
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		d.Close()
		waitIdle(t, d)
	}
}
