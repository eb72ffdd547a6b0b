package room

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestTakeNeverLetsInMoreThanACountFound: callers from many goroutines,
// each storing what it was let in for just after, never hold more than
// the bound plus those let in and not yet stored (at most one per
// goroutine), however their takes and counts interleave; the bound is
// reached, and every caller is either let in or refused by a count. The
// room overwritten by a count that read before a burst would let in a
// whole count's worth more.
func TestTakeNeverLetsInMoreThanACountFound(t *testing.T) {
	const bound, goroutines, each = 50, 16, 40
	var r Room
	var held atomic.Int64
	full := errors.New("full")
	var wg sync.WaitGroup
	var admitted, refused atomic.Int64
	for range goroutines {
		wg.Go(func() {
			for range each {
				err := r.Take(func() (int, error) {
					n := int(held.Load())
					if n >= bound {
						return 0, full
					}
					return bound - n, nil
				})
				switch {
				case err == nil:
					admitted.Add(1)
					if h := held.Add(1); h > bound+goroutines {
						t.Errorf("%d held, over %d and the %d that may be on their way", h, bound, goroutines)
					}
				case errors.Is(err, full):
					refused.Add(1)
				default:
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if a := admitted.Load(); a < bound || a > bound+goroutines || a+refused.Load() != goroutines*each {
		t.Errorf("admitted %d, refused %d of %d; want %d to %d admitted", a, refused.Load(), goroutines*each, bound, bound+goroutines)
	}
}

// TestTakeCountsOncePerRoomsWorth: with nothing stored, a count that
// finds room for 10 lets 10 callers in before the next count.
func TestTakeCountsOncePerRoomsWorth(t *testing.T) {
	var r Room
	counts := 0
	for range 30 {
		if err := r.Take(func() (int, error) { counts++; return 10, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if counts != 3 {
		t.Errorf("%d counts for 30 callers at 10 a count, want 3", counts)
	}
}

// TestTakeReturnsTheCountsError: a failing count admits no one and is
// asked again by the next caller.
func TestTakeReturnsTheCountsError(t *testing.T) {
	var r Room
	boom := errors.New("store down")
	for range 2 {
		if err := r.Take(func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
			t.Fatalf("error %v, want %v", err, boom)
		}
	}
	if err := r.Take(func() (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
}
