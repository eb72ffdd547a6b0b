package store

import (
	"sync"
	"sync/atomic"
)

// Budget is one bound on the bytes the in-memory stores of a sandbox
// hold, across all its namespaces: the Ocean journals and duplicate
// filters, the impact deliveries. Each store charges what it adds and
// credits what it drops; when a charge takes the total over the limit,
// the oldest evictable items of all the holders registered go first,
// whichever namespace holds them (those registered last only when the
// others have nothing left), until the total is a little under it
// (so that at the limit, evictions come in small batches, not one per
// request). What cannot be evicted (a pending delivery) still counts.
// A nil *Budget bounds nothing. Safe for concurrent use.
type Budget struct {
	limit   int64
	held    atomic.Int64
	evicted atomic.Int64 // items evicted for the budget
	freed   atomic.Int64 // their bytes

	mu      sync.Mutex // held while evicting, and for holders
	holders map[*holderEntry]struct{}
}

type holderEntry struct {
	h    Holder
	last bool // RegisterLast
}

// Holder is what a Budget can evict from.
type Holder interface {
	// Oldest returns when the oldest item the holder can evict was
	// stored (unix nanoseconds on the sandbox's clock); ok is false when
	// it has none.
	Oldest() (at int64, ok bool)
	// EvictOldest drops that item and returns its bytes (0: none was
	// dropped). It must not charge or credit the budget itself.
	EvictOldest() int64
}

// NewBudget returns a budget of limit bytes; limit ≤ 0 means no bound
// (holders still count, for the figures).
func NewBudget(limit int64) *Budget {
	return &Budget{limit: limit, holders: map[*holderEntry]struct{}{}}
}

// Register adds h to the holders the budget evicts from; the function
// returned removes it (a namespace removed). A nil budget registers
// nothing.
func (b *Budget) Register(h Holder) (unregister func()) { return b.register(h, false) }

// RegisterLast is Register for a holder whose items go only when the
// others have none left: the remembered outer_event_ids, whose loss
// changes answers (a duplicate accepted), where a journal entry's loses
// only history.
func (b *Budget) RegisterLast(h Holder) (unregister func()) { return b.register(h, true) }

func (b *Budget) register(h Holder, last bool) (unregister func()) {
	if b == nil {
		return func() {}
	}
	e := &holderEntry{h, last}
	b.mu.Lock()
	b.holders[e] = struct{}{}
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.holders, e)
		b.mu.Unlock()
	}
}

// Charge adds n bytes (n < 0: frees them). After a charge that takes the
// total over the limit, it evicts; the caller must not hold a lock a
// holder's Oldest or EvictOldest takes.
func (b *Budget) Charge(n int64) {
	if b == nil || n == 0 {
		return
	}
	if b.held.Add(n) > b.limit && b.limit > 0 && n > 0 {
		b.reclaim()
	}
}

// reclaim evicts the oldest items sandbox-wide until the total is a
// sixty-fourth of the limit under it, or nothing is left to evict.
func (b *Budget) reclaim() {
	b.mu.Lock()
	defer b.mu.Unlock()
	target := b.limit - b.limit/64
	for b.held.Load() > target {
		oldest := b.oldest(false)
		if oldest == nil {
			oldest = b.oldest(true)
		}
		if oldest == nil {
			return
		}
		n := oldest.EvictOldest()
		if n == 0 {
			return
		}
		b.held.Add(-n)
		b.evicted.Add(1)
		b.freed.Add(n)
	}
}

// oldest returns the holder of the oldest evictable item among those
// registered last or not, nil when they have none; b.mu is held.
func (b *Budget) oldest(last bool) Holder {
	var oldest Holder
	var at int64
	for e := range b.holders {
		if e.last != last {
			continue
		}
		if t, ok := e.h.Oldest(); ok && (oldest == nil || t < at) {
			oldest, at = e.h, t
		}
	}
	return oldest
}

// BudgetStats are a budget's figures.
type BudgetStats struct {
	// Limit is the bound in bytes (0: none).
	Limit int64 `json:"limit"`
	// Held is what the holders hold now.
	Held int64 `json:"held"`
	// Evicted counts the items evicted to stay under the limit, and
	// EvictedBytes their bytes.
	Evicted      int64 `json:"evicted"`
	EvictedBytes int64 `json:"evicted_bytes"`
}

// Stats returns the budget's figures.
func (b *Budget) Stats() BudgetStats {
	if b == nil {
		return BudgetStats{}
	}
	return BudgetStats{Limit: max(b.limit, 0), Held: b.held.Load(), Evicted: b.evicted.Load(), EvictedBytes: b.freed.Load()}
}
