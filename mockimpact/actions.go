package mockimpact

import (
	"context"
	"errors"
	"fmt"

	"github.com/postbacksim/postbacksim/fixtures"
)

// ErrNoDelivery is returned for a delivery ID the dispatcher does not
// know (never made, or forgotten).
var ErrNoDelivery = errors.New("no such delivery")

// ErrNotWaiting is returned by RetryNow for a delivery with no attempt
// waiting: it has ended, or an attempt is in flight.
var ErrNotWaiting = errors.New("the delivery has no attempt waiting")

// Changed returns a channel closed at the next attempt journaled: a
// reader takes it, reads, and waits on it when there was nothing new.
func (d *Dispatcher) Changed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

// RetryNow moves the next attempt of a pending delivery to now, on the
// dispatcher's clock (the schedule continues from it). It fails with
// ErrNoDelivery or ErrNotWaiting.
func (d *Dispatcher) RetryNow(id string) error {
	if d.sched != nil {
		ok, err := d.sched.retryNow(context.Background(), id, d.clock.Now())
		switch {
		case err != nil:
			return err
		case !ok:
			if _, found := d.Delivery(id); !found {
				return fmt.Errorf("%s: %w", id, ErrNoDelivery)
			}
			return fmt.Errorf("%s: %w", id, ErrNotWaiting)
		}
		d.kickPoll()
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, ok := d.byID[id]
	if !ok {
		return fmt.Errorf("%s: %w", id, ErrNoDelivery)
	}
	if d.closed || dl.Outcome != DeliveryPending || dl.timer == nil || !dl.timer.Stop() {
		return fmt.Errorf("%s: %w", id, ErrNotWaiting)
	}
	d.scheduleLocked(dl, d.clock.Now(), d.clock.Now())
	return nil
}

// Replay delivers the request of delivery id again, as rendered then, as
// a new delivery (first attempt now, after the postback's minimum delay)
// and returns the new delivery's ID.
func (d *Dispatcher) Replay(id string) (string, error) {
	if d.sched != nil {
		return d.replayShared(id)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return "", ErrClosed
	}
	old, ok := d.byID[id]
	if !ok {
		return "", fmt.Errorf("%s: %w", id, ErrNoDelivery)
	}
	now := d.clock.Now()
	d.seq++
	r := *old.Request
	r.Header = old.Request.Header.Clone()
	dl := &delivery{ps: old.ps, Delivery: Delivery{
		ID: fmt.Sprintf("d%06d", d.seq), Event: old.Event, Fired: now, Outcome: DeliveryPending, Request: &r,
	}}
	d.deliveries = append(d.deliveries, dl)
	d.byID[dl.ID] = dl
	d.pending++
	d.scheduleLocked(dl, now.Add(old.ps.c.MinDelay.D()), now)
	return dl.ID, nil
}

func (d *Dispatcher) replayShared(id string) (string, error) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return "", ErrClosed
	}
	rec, ok, err := d.sched.load(context.Background(), id)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%s: %w", id, ErrNoDelivery)
	}
	ps, err := d.compiledFor(rec.Event, rec.Postback)
	if err != nil {
		return "", err
	}
	spec, err := fixtures.LookupEvent(rec.Event)
	if err != nil {
		return "", err
	}
	r := *rec.Request
	r.Header = rec.Request.Header.Clone()
	now := d.clock.Now()
	return d.fireShared(ps, replayEvent{spec.New()}, &r, "", now, now.Add(ps.c.MinDelay.D()))
}

// replayEvent is the event of a replayed delivery: only its name counts
// (the request is the one rendered before; no payload is kept).
type replayEvent struct{ fixtures.Event }
