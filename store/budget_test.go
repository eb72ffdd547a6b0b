package store_test

import (
	"sync"
	"testing"

	"github.com/postbacksim/postbacksim/store"
)

// fifo is a Holder of items of given sizes, stamped in order.
type fifo struct {
	mu    sync.Mutex
	items [][2]int64 // time, size
}

func (f *fifo) add(b *store.Budget, at, size int64) {
	f.mu.Lock()
	f.items = append(f.items, [2]int64{at, size})
	f.mu.Unlock()
	b.Charge(size)
}

func (f *fifo) Oldest() (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.items) == 0 {
		return 0, false
	}
	return f.items[0][0], true
}

func (f *fifo) EvictOldest() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.items) == 0 {
		return 0
	}
	n := f.items[0][1]
	f.items = f.items[1:]
	return n
}

// TestBudgetEvictsTheOldestAcrossHolders: past the limit, the oldest
// items go first whichever holder has them, down to a little under the
// limit; an unregistered holder is never asked again.
func TestBudgetEvictsTheOldestAcrossHolders(t *testing.T) {
	b := store.NewBudget(1000)
	a, c := &fifo{}, &fifo{}
	b.Register(a)
	unregister := b.Register(c)
	a.add(b, 1, 400) // the oldest
	c.add(b, 2, 400)
	a.add(b, 3, 100)
	if s := b.Stats(); s.Held != 900 || s.Evicted != 0 {
		t.Fatalf("under the limit: %+v", s)
	}
	c.add(b, 4, 300) // 1200: a's first goes
	if s := b.Stats(); s.Held != 800 || s.Evicted != 1 || s.EvictedBytes != 400 || len(a.items) != 1 || len(c.items) != 2 {
		t.Fatalf("after the limit: %+v, a %v, c %v; want a's oldest evicted", s, a.items, c.items)
	}
	unregister()
	a.add(b, 5, 500) // 1300: c's items are older but c is gone; a's go
	if len(c.items) != 2 || len(a.items) != 0 || b.Stats().Held != 700 {
		t.Fatalf("after unregistering c: a %v, c %v, %+v", a.items, c.items, b.Stats())
	}
	var none *store.Budget
	none.Charge(1 << 40)
	none.Register(a)()
	if none.Stats() != (store.BudgetStats{}) {
		t.Error("a nil budget has figures")
	}
}

// TestBudgetEvictsLastHoldersLast: a holder registered last loses items
// only once the others have none left, however old its items are.
func TestBudgetEvictsLastHoldersLast(t *testing.T) {
	b := store.NewBudget(100)
	ids, journal := &fifo{}, &fifo{}
	b.RegisterLast(ids)
	b.Register(journal)
	ids.add(b, 1, 10)
	journal.add(b, 2, 60)
	journal.add(b, 3, 40) // 110: the journal's oldest goes, not the older id
	if len(ids.items) != 1 || len(journal.items) != 1 {
		t.Fatalf("ids %v, journal %v; want the journal's oldest evicted", ids.items, journal.items)
	}
	ids.add(b, 4, 60) // 110 again: the journal's last entry goes, 70
	if len(journal.items) != 0 || len(ids.items) != 2 || b.Stats().Held != 70 {
		t.Fatalf("ids %v, journal %v, %+v", ids.items, journal.items, b.Stats())
	}
	ids.add(b, 5, 50) // 120, nothing else: the oldest ids go until under the limit
	if len(ids.items) != 1 || ids.items[0][0] != 5 || b.Stats().Held != 50 {
		t.Fatalf("ids %v; want the oldest id evicted once nothing else is left", ids.items)
	}
}
