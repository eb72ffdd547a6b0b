package mockimpact

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
)

// Deliveries returns every delivery, oldest first: on a shared store,
// every dispatcher's.
func (d *Dispatcher) Deliveries(ctx context.Context) ([]Delivery, error) {
	_, out, err := d.listDeliveries(ctx, func(*StoredDelivery) bool { return true }, 0)
	return out, err
}

// newestLister is a DeliveryStore that lists its newest deliveries
// without copying all of them first (MemoryDeliveries, and what embeds
// it): listing goes through it when the store is one.
type newestLister interface {
	newest(keep func(*StoredDelivery) bool, limit int) (count int, newest []*StoredDelivery)
}

// listDeliveries returns how many deliveries keep reports true for, and
// the newest limit of them (0: all), oldest first: only those are
// copied.
func (d *Dispatcher) listDeliveries(ctx context.Context, keep func(*StoredDelivery) bool, limit int) (int, []Delivery, error) {
	var count int
	var recs []*StoredDelivery
	if l, ok := d.store.(newestLister); ok {
		count, recs = l.newest(keep, limit)
	} else {
		all, err := d.store.All(ctx)
		if err != nil {
			return 0, nil, err
		}
		recs = all[:0]
		for _, rec := range all {
			if keep(rec) {
				recs = append(recs, rec)
			}
		}
		count = len(recs)
		if limit > 0 && len(recs) > limit {
			recs = recs[len(recs)-limit:]
		}
	}
	out := make([]Delivery, len(recs))
	for i, rec := range recs {
		out[i] = rec.snapshot()
	}
	return count, out, nil
}

// Delivery returns one delivery by ID; ok is false when there is none
// (never made, or forgotten).
func (d *Dispatcher) Delivery(ctx context.Context, id string) (dl Delivery, ok bool, err error) {
	rec, ok, err := d.store.Load(ctx, id)
	if err != nil || !ok {
		return Delivery{}, false, err
	}
	return rec.snapshot(), true, nil
}

// snapshot is the delivery, its attempts its own: an empty list, not
// nil (JSON null), before the first attempt.
func (rec *StoredDelivery) snapshot() Delivery {
	s := rec.Delivery
	s.Attempts = append([]Attempt{}, rec.Attempts...)
	return s
}

// Payload returns the event of a delivery when the dispatcher keeps it:
// an update delivery (Delivery.UpdateOf set), whose payload the
// dispatcher made, and a PENDING application waiting for its update. ok
// is false for any other delivery, and when there is none.
func (d *Dispatcher) Payload(ctx context.Context, id string) (ev fixtures.Event, ok bool, err error) {
	rec, ok, err := d.store.Load(ctx, id)
	if err != nil || !ok || len(rec.Payload) == 0 {
		return nil, false, err
	}
	spec, err := fixtures.LookupEvent(rec.Event)
	if err != nil {
		return nil, false, fmt.Errorf("delivery %s: %w", id, err)
	}
	ev = spec.New()
	if err := json.Unmarshal(rec.Payload, ev); err != nil {
		return nil, false, fmt.Errorf("delivery %s: its event: %w", id, err)
	}
	return ev, true, nil
}

// Stats counts deliveries and attempts.
type Stats struct {
	Deliveries int `json:"deliveries"`
	// Pending counts the deliveries not ended: an application's update
	// is one from when the application is delivered, its Fired
	// UpdateDelay later.
	Pending  int `json:"pending"`
	Attempts int `json:"attempts"`
	// Evicted counts finished deliveries forgotten for MaxDeliveries.
	Evicted int `json:"evicted"`
}

// Stats reports the counts of the deliveries: on a shared store, every
// dispatcher's.
func (d *Dispatcher) Stats(ctx context.Context) (Stats, error) { return d.store.Stats(ctx) }

// Reset forgets every ended delivery (pending ones stay).
func (d *Dispatcher) Reset(ctx context.Context) error { return d.store.Reset(ctx) }

// WaitForAttempts blocks until at least n attempts have been journaled,
// or ctx is done.
func (d *Dispatcher) WaitForAttempts(ctx context.Context, n int) error {
	return d.wait(ctx, func(st Stats) bool { return st.Attempts >= n })
}

// WaitIdle blocks until no delivery is pending, or ctx is done.
func (d *Dispatcher) WaitIdle(ctx context.Context) error {
	return d.wait(ctx, func(st Stats) bool { return st.Pending == 0 })
}

// wait reads the counts until done says so: again at each change here
// (Changed) and, on a store shared with other dispatchers, at least
// every Sharing().Poll for theirs. A store that fails is read again.
func (d *Dispatcher) wait(ctx context.Context, done func(Stats) bool) error {
	for {
		changed := d.Changed()
		if st, err := d.store.Stats(ctx); err == nil && done(st) {
			return nil
		}
		var poll chan struct{}
		var t clock.Timer
		if d.sharing.Poll > 0 {
			poll = make(chan struct{})
			t = d.clock.AfterFunc(d.sharing.Poll, func() { close(poll) })
		}
		select {
		case <-changed:
		case <-poll:
		case <-ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
