package mockimpact

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
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
	order []*memoryDelivery // oldest first
	byID  map[string]*memoryDelivery
	due   dueQueue // the attempts waiting for their due time
	st    Stats
	// stopped: Stop ran; pending deliveries are cancelled, and those
	// added or journaled afterwards end cancelled.
	stopped bool
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
	claimed bool // an attempt is in progress
}

// NewMemoryDeliveries returns an empty store.
func NewMemoryDeliveries() *MemoryDeliveries {
	return &MemoryDeliveries{byID: map[string]*memoryDelivery{}}
}

// NextID numbers a new delivery.
func (m *MemoryDeliveries) NextID(context.Context) (string, error) {
	return fmt.Sprintf("d%06d", m.seq.Add(1)), nil
}

// Add stores d, its first attempt due at d.Scheduled; after Stop, d is
// stored cancelled.
func (m *MemoryDeliveries) Add(_ context.Context, d *StoredDelivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := &memoryDelivery{rec: d}
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
	if d.Outcome != DeliveryPending && most > 0 && len(m.order) > most {
		m.evict(len(m.order) - most)
	}
	return true, nil
}

// evict forgets the oldest ended deliveries, up to n of them.
func (m *MemoryDeliveries) evict(n int) {
	kept := m.order[:0]
	for _, e := range m.order {
		if n > 0 && e.rec.Outcome != DeliveryPending {
			delete(m.byID, e.rec.ID)
			m.st.Evicted++
			n--
			continue
		}
		kept = append(kept, e)
	}
	clear(m.order[len(kept):])
	m.order = kept
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
	out := make([]*StoredDelivery, len(m.order))
	for i, e := range m.order {
		out[i] = e.rec
	}
	return out, nil
}

// Stats returns the counts.
func (m *MemoryDeliveries) Stats(context.Context) (Stats, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	st := m.st
	st.Deliveries = len(m.order)
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
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.order[:0]
	for _, e := range m.order {
		if e.rec.Outcome == DeliveryPending {
			kept = append(kept, e)
		} else {
			delete(m.byID, e.rec.ID)
		}
	}
	clear(m.order[len(kept):])
	m.order = kept
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
		if e.rec.Outcome != DeliveryPending {
			continue
		}
		c := *e.rec
		c.Outcome = DeliveryCancelled
		e.rec = &c
		n++
	}
	m.due.clear()
	m.st.Pending = 0
	return n, nil
}

// Sharing is the zero Sharing: only its dispatcher uses the store.
func (m *MemoryDeliveries) Sharing() Sharing { return Sharing{} }
