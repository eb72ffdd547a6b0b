package mockimpact

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbacksim/postbacksim/store"
)

var _ DeliveryStore = (*MemoryDeliveries)(nil)

// MemoryDeliveries is a DeliveryStore in the process's memory, used by
// one dispatcher: the default (Options.Deliveries nil). Its pending
// attempts wait in a queue ordered by due time, where attempts due at
// one time make one entry; a claim holds until the attempt is journaled.
// It never fails. Stop cancels the pending deliveries. Safe for
// concurrent use.
type MemoryDeliveries struct {
	seq atomic.Int64 // the last delivery numbered

	mu    sync.RWMutex
	order []*memoryDelivery // oldest first; evicted ones (gone) until compacted
	gone  int               // the evicted entries order still holds
	// ended holds the ended deliveries in the order they ended, the
	// next to evict first (from endedHead); evicting one costs no scan
	// past the pending ones fired before it.
	ended     []*memoryDelivery
	endedHead int
	byID      map[string]*memoryDelivery
	due       dueQueue // the attempts waiting for their due time
	st        Stats
	// stopped: Stop ran; pending deliveries are cancelled, and those
	// added or journaled afterwards end cancelled.
	stopped    bool
	unregister func() // from the budget
	// budget is charged each delivery's size (sizeOf); it evicts the
	// oldest ended ones.
	budget *store.Budget
}

// sizeOf is what a delivery accounts for in memory: its request, its
// event when kept, its attempts and their answers' excerpts, and a fixed
// overhead.
func sizeOf(d *StoredDelivery) int64 {
	n := 2048 + len(d.Payload) + len(d.ID) + len(d.Event) // the structures around them: measured, not counted
	if r := d.Request; r != nil {
		n += len(r.URL) + len(r.Body)
		for k, vs := range r.Header {
			n += len(k)
			for _, v := range vs {
				n += len(v) + 16
			}
		}
	}
	for _, a := range d.Attempts {
		n += 192 + len(a.ResponseBody) + len(a.Error)
	}
	return int64(n)
}

// memoryDelivery is a delivery in a MemoryDeliveries. rec is never
// changed once stored (readers hold it without the lock): a change
// stores a new one.
type memoryDelivery struct {
	rec *StoredDelivery
	// waiting: its next attempt waits in the queue, due at due, scheduled
	// at tick (dueQueue).
	waiting bool
	due     time.Time
	tick    uint64
	claimed bool  // an attempt is in progress
	size    int64 // sizeOf(rec), as charged
	queued  bool  // it is in MemoryDeliveries.ended
	gone    bool  // evicted: order drops it when compacted
}

// NewMemoryDeliveries returns an empty store.
func NewMemoryDeliveries() *MemoryDeliveries { return NewMemoryDeliveriesIn(nil) }

// NewMemoryDeliveriesIn returns an empty store charged on budget (nil:
// none): what its deliveries hold counts there, pending ones included,
// and the oldest ended ones are evicted when the budget is exceeded.
// Close releases its share.
func NewMemoryDeliveriesIn(budget *store.Budget) *MemoryDeliveries {
	m := &MemoryDeliveries{byID: map[string]*memoryDelivery{}, budget: budget}
	m.unregister = budget.Register(m)
	return m
}

// Oldest is when the oldest ended delivery was fired, for the budget.
func (m *MemoryDeliveries) Oldest() (int64, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.endedHead < len(m.ended) {
		return m.ended[m.endedHead].rec.Fired.UnixNano(), true
	}
	return 0, false
}

// EvictOldest forgets the oldest ended delivery, for the budget.
func (m *MemoryDeliveries) EvictOldest() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.evict(1)
}

// Close releases what the store holds from its budget and forgets every
// delivery: its dispatcher is closed, its namespace removed.
func (m *MemoryDeliveries) Close() {
	m.unregister()
	m.mu.Lock()
	var n int64
	for _, e := range m.order {
		if !e.gone {
			n += e.size
		}
	}
	m.order, m.gone, m.byID = nil, 0, map[string]*memoryDelivery{}
	m.ended, m.endedHead = nil, 0
	m.mu.Unlock()
	m.budget.Charge(-n)
}

// NextID numbers a new delivery.
func (m *MemoryDeliveries) NextID(context.Context) (string, error) {
	return fmt.Sprintf("d%06d", m.seq.Add(1)), nil
}

// Add stores d, its first attempt due at d.Scheduled; after Stop, d is
// stored cancelled.
func (m *MemoryDeliveries) Add(_ context.Context, d *StoredDelivery) error {
	m.mu.Lock()
	e := &memoryDelivery{rec: d, size: sizeOf(d)}
	defer m.budget.Charge(e.size) // after the unlock
	defer m.mu.Unlock()
	if m.stopped && d.Outcome == DeliveryPending {
		c := *d
		c.Outcome = DeliveryCancelled
		e.rec = &c
	}
	m.order = append(m.order, e)
	m.byID[d.ID] = e
	if e.rec.Outcome == DeliveryPending {
		m.st.Pending++
		m.due.push(e, d.Scheduled)
	} else {
		m.hasEnded(e)
	}
	return nil
}

// Claim takes up to most attempts due at now.
func (m *MemoryDeliveries) Claim(_ context.Context, now time.Time, most int) ([]Claim, time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Claim
	for len(out) < most {
		e, ok := m.due.peek()
		if !ok || e.due.After(now) {
			break
		}
		if out == nil {
			out = make([]Claim, 0, most)
		}
		m.due.pop()
		e.claimed = true
		out = append(out, Claim{ID: e.rec.ID})
	}
	if e, ok := m.due.peek(); ok {
		return out, e.due, true, nil
	}
	return out, time.Time{}, false, nil
}

// Renew reports whether the attempt of id is claimed: a claim here
// never lapses.
func (m *MemoryDeliveries) Renew(_ context.Context, id string, _ time.Time) (bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.byID[id]
	return ok && e.claimed, nil
}

// Finish journals the attempt just appended to d.Attempts.
func (m *MemoryDeliveries) Finish(_ context.Context, d *StoredDelivery, next *time.Time, most int) (bool, error) {
	var delta int64
	defer func() { m.budget.Charge(delta) }() // after the unlock
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byID[d.ID]
	if !ok || !e.claimed {
		return false, nil
	}
	e.claimed = false
	m.st.Attempts++
	switch {
	case m.stopped: // cancelled by Stop while the attempt was in progress
		d.Outcome = DeliveryCancelled
		if n := len(d.Attempts); n > 0 {
			d.Attempts[n-1].Retry, d.Attempts[n-1].Next = false, nil
		}
	case next != nil:
		d.Scheduled = *next
		m.due.push(e, *next)
	default:
		m.st.Pending--
	}
	e.rec = d
	size := sizeOf(d)
	delta, e.size = size-e.size, size
	if d.Outcome != DeliveryPending {
		m.hasEnded(e)
		if held := len(m.order) - m.gone; most > 0 && held > most {
			delta -= m.evict(held - most)
		}
	}
	return true, nil
}

// hasEnded queues e, just ended, for eviction; m.mu is held.
func (m *MemoryDeliveries) hasEnded(e *memoryDelivery) {
	if !e.queued {
		e.queued = true
		m.ended = append(m.ended, e)
	}
}

// evict forgets the deliveries that ended first, up to n of them, and
// returns their size; m.mu is held. It costs no scan: order drops them
// at its front, or in one pass once they are half of it.
func (m *MemoryDeliveries) evict(n int) int64 {
	var freed int64
	for ; n > 0 && m.endedHead < len(m.ended); n-- {
		e := m.ended[m.endedHead]
		m.ended[m.endedHead] = nil
		m.endedHead++
		e.gone = true
		m.gone++
		delete(m.byID, e.rec.ID)
		m.st.Evicted++
		freed += e.size
	}
	if m.endedHead > len(m.ended)/2 { // reuse the array
		m.ended = m.ended[:copy(m.ended, m.ended[m.endedHead:])]
		clear(m.ended[len(m.ended):cap(m.ended)])
		m.endedHead = 0
	}
	for len(m.order) > 0 && m.order[0].gone {
		m.order[0] = nil
		m.order = m.order[1:]
		m.gone--
	}
	if m.gone > len(m.order)/2 {
		kept := m.order[:0]
		for _, e := range m.order {
			if !e.gone {
				kept = append(kept, e)
			}
		}
		clear(m.order[len(kept):])
		m.order, m.gone = kept, 0
	}
	return freed
}

// Load returns a copy of delivery id.
func (m *MemoryDeliveries) Load(_ context.Context, id string) (*StoredDelivery, bool, error) {
	m.mu.RLock()
	e, ok := m.byID[id]
	var rec *StoredDelivery
	if ok {
		rec = e.rec
	}
	m.mu.RUnlock()
	if !ok {
		return nil, false, nil
	}
	c := *rec
	return &c, true, nil
}

// All returns every delivery, oldest first: the store's own records.
func (m *MemoryDeliveries) All(context.Context) ([]*StoredDelivery, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*StoredDelivery, 0, len(m.order)-m.gone)
	for _, e := range m.order {
		if !e.gone {
			out = append(out, e.rec)
		}
	}
	return out, nil
}

// newest returns the limit newest deliveries keep accepts (all of them
// when limit is 0), oldest first, and how many it accepts in all: the
// store's own records. It copies no more than it returns, where All
// copies every one (a sandbox polled for its newest delivery a hundred
// times a second held 40,000).
func (m *MemoryDeliveries) newest(keep func(*StoredDelivery) bool, limit int) (int, []*StoredDelivery) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	count := 0
	var out []*StoredDelivery
	if limit > 0 {
		out = make([]*StoredDelivery, 0, min(limit, len(m.order)-m.gone))
	}
	for i := len(m.order) - 1; i >= 0; i-- {
		e := m.order[i]
		if e.gone || !keep(e.rec) {
			continue
		}
		count++
		if limit == 0 || len(out) < limit {
			out = append(out, e.rec)
		}
	}
	slices.Reverse(out)
	return count, out
}

// Stats returns the counts.
func (m *MemoryDeliveries) Stats(context.Context) (Stats, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	st := m.st
	st.Deliveries = len(m.order) - m.gone
	return st, nil
}

// RetryNow moves the waiting attempt of id to now.
func (m *MemoryDeliveries) RetryNow(_ context.Context, id string, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byID[id]
	if !ok || !e.waiting {
		return false, nil
	}
	c := *e.rec
	c.Scheduled = now
	e.rec = &c
	m.due.push(e, now)
	return true, nil
}

// Reset forgets the ended deliveries.
func (m *MemoryDeliveries) Reset(context.Context) error {
	var freed int64
	defer func() { m.budget.Charge(-freed) }() // after the unlock
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.order[:0]
	for _, e := range m.order {
		switch {
		case e.gone:
		case e.rec.Outcome == DeliveryPending:
			kept = append(kept, e)
		default:
			delete(m.byID, e.rec.ID)
			freed += e.size
		}
	}
	clear(m.order[len(kept):])
	m.order, m.gone = kept, 0
	clear(m.ended)
	m.ended, m.endedHead = m.ended[:0], 0
	return nil
}

// Stop cancels the pending deliveries, those with an attempt in
// progress included (Finish journals it, and ends the delivery
// cancelled), and returns how many there were.
func (m *MemoryDeliveries) Stop(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return 0, nil
	}
	m.stopped = true
	n := 0
	for _, e := range m.order {
		if e.gone || e.rec.Outcome != DeliveryPending {
			continue
		}
		c := *e.rec
		c.Outcome = DeliveryCancelled
		e.rec = &c
		m.hasEnded(e)
		n++
	}
	m.due.clear()
	m.st.Pending = 0
	return n, nil
}

// Sharing is the zero Sharing: only its dispatcher uses the store.
func (m *MemoryDeliveries) Sharing() Sharing { return Sharing{} }
