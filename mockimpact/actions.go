package mockimpact

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoDelivery is returned for a delivery ID the dispatcher does not
// know (never made, or forgotten).
var ErrNoDelivery = errors.New("no such delivery")

// ErrNotWaiting is returned by RetryNow for a delivery with no attempt
// waiting: it has ended, or an attempt is in progress (held by the rate
// limit included).
var ErrNotWaiting = errors.New("the delivery has no attempt waiting")

// RetryNow moves the next attempt of a pending delivery to now, on the
// dispatcher's clock (the schedule continues from it). It fails with
// ErrNoDelivery or ErrNotWaiting.
func (d *Dispatcher) RetryNow(ctx context.Context, id string) error {
	now := d.clock.Now()
	ok, err := d.store.RetryNow(ctx, id, now)
	if err != nil {
		return err
	}
	if !ok {
		_, found, err := d.store.Load(ctx, id)
		switch {
		case err != nil:
			return err
		case !found:
			return fmt.Errorf("%s: %w", id, ErrNoDelivery)
		}
		return fmt.Errorf("%s: %w", id, ErrNotWaiting)
	}
	d.arm(now)
	return nil
}

// Replay delivers the request of delivery id again, as rendered then, as
// a new delivery (first attempt now, after the postback's minimum delay)
// and returns the new delivery's ID.
func (d *Dispatcher) Replay(ctx context.Context, id string) (string, error) {
	if d.isClosed() {
		return "", ErrClosed
	}
	rec, ok, err := d.store.Load(ctx, id)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%s: %w", id, ErrNoDelivery)
	}
	ps, err := d.compiledFor(rec)
	if err != nil {
		return "", err
	}
	if err := d.admitOne(ctx); err != nil {
		return "", err
	}
	r := *rec.Request
	r.Header = rec.Request.Header.Clone()
	now := d.clock.Now()
	return d.add(ctx, ps, rec.Event, &r, nil, "", rec.Hops, now, now.Add(ps.c.MinDelay.D()))
}
