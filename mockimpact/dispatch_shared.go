package mockimpact

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
)

// fireShared stores a new delivery in the schedule; any replica sends it
// when due.
func (d *Dispatcher) fireShared(ps *postbackState, ev fixtures.Event, r *Rendered, updateOf string, fired, due time.Time) (string, error) {
	ctx := context.Background()
	id, err := d.sched.nextID(ctx)
	if err != nil {
		return "", err
	}
	rec := &StoredDelivery{Delivery: Delivery{ID: id, Event: ev.EventName(), Fired: fired, Outcome: DeliveryPending, Request: r, UpdateOf: updateOf},
		Scheduled: due}
	if rec.Postback, err = storedConfig(ps); err != nil {
		return "", err
	}
	if app, ok := ev.(*fixtures.PublisherApplication); updateOf != "" || ok && d.update >= 0 && fixtures.NeedsUpdate(app) {
		if rec.Payload, err = json.Marshal(ev); err != nil {
			return "", fmt.Errorf("delivery %s: encoding its event: %w", id, err)
		}
	}
	if err := d.sched.add(ctx, rec, due); err != nil {
		return "", err
	}
	d.kickPoll()
	d.notify()
	return id, nil
}

// storedConfig is ps's configuration as the schedule keeps it.
func storedConfig(ps *postbackState) (json.RawMessage, error) {
	if ps.stored != "" {
		return json.RawMessage(ps.stored), nil
	}
	b, err := json.Marshal(ps.c.Postback)
	if err != nil {
		return nil, fmt.Errorf("postback %s: encoding: %w", ps.c.Event, err)
	}
	return b, nil
}

// notify wakes the waiters on Changed.
func (d *Dispatcher) notify() {
	d.mu.Lock()
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

// claimBatch is the most attempts poll claims at once.
const claimBatch = 64

// poll claims the attempts due until Close. It looks again when the
// earliest attempt in the schedule is due, when this process schedules
// one (kick), and at least every ScheduleOptions.Poll (converted to the
// dispatcher's clock) for what the other replicas schedule: an attempt
// is sent when it is due whatever the time scale, not at the next poll.
func (d *Dispatcher) poll() {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-d.done; cancel() }()
	for {
		ids, next, ok, err := d.sched.claim(ctx, d.clock.Now(), claimBatch)
		if err == nil {
			for _, c := range ids {
				go d.runClaimed(ctx, c.id, c.from)
			}
		}
		wait := d.sched.pollOnClock
		switch {
		case err != nil:
		case len(ids) == claimBatch:
			wait = 0 // more may be due
		case ok:
			// An attempt due now that could not be claimed has a lease
			// that is ending: look again soon, not in a loop.
			wait = min(wait, max(next.Sub(d.clock.Now()), d.sched.pollOnClock/20))
		}
		if !d.pause(ctx, wait) {
			return
		}
	}
}

// pause waits for wait on the dispatcher's clock, or until this process
// schedules an attempt (kick); it reports false once the dispatcher is
// closed.
func (d *Dispatcher) pause(ctx context.Context, wait time.Duration) bool {
	if wait <= 0 {
		return ctx.Err() == nil
	}
	elapsed := make(chan struct{})
	t := d.clock.AfterFunc(wait, func() { close(elapsed) })
	defer t.Stop()
	select {
	case <-elapsed:
	case <-d.kick:
	case <-ctx.Done():
		return false
	}
	return true
}

// kickPoll makes the poller look at the schedule now: this process has
// just scheduled an attempt, perhaps due before the poller's next look.
func (d *Dispatcher) kickPoll() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// runClaimed makes the claimed attempt of delivery id, holding its lease
// until the attempt is journaled; from is the replica it was taken over
// from, if any.
func (d *Dispatcher) runClaimed(ctx context.Context, id, from string) {
	rec, ok, err := d.sched.load(ctx, id)
	if err != nil || !ok {
		return // the lease ends, and another replica (or this one) tries again
	}
	ps, err := d.compiledFor(rec.Event, rec.Postback)
	if err != nil {
		return
	}
	dl := &delivery{Delivery: rec.Delivery, ps: ps, scheduled: rec.Scheduled, shared: rec, takenOverFrom: from}
	if len(rec.Payload) > 0 {
		if spec, err := fixtures.LookupEvent(rec.Event); err == nil {
			ev := spec.New()
			if json.Unmarshal(rec.Payload, ev) == nil {
				dl.payload = ev
			}
		}
	}
	dl.renew = d.holdLease(id)
	d.due(dl)
}

// holdLease renews the lease of id every third of it, on the
// dispatcher's clock, until the returned function is called.
func (d *Dispatcher) holdLease(id string) func() {
	stop := make(chan struct{})
	var tick func()
	every := d.sched.leaseOnClock / 3
	tick = func() {
		select {
		case <-stop:
			return
		case <-d.done:
			return
		default:
		}
		if held, err := d.sched.renew(context.Background(), id, d.clock.Now()); err == nil && !held {
			return
		}
		d.clock.AfterFunc(every, tick)
	}
	d.clock.AfterFunc(every, tick)
	return func() { close(stop) }
}

// compiledFor returns the compiled configuration stored with a
// delivery, compiled once per configuration in this process (each keeps
// its own rate limiter).
func (d *Dispatcher) compiledFor(event string, stored json.RawMessage) (*postbackState, error) {
	key := string(stored)
	d.mu.Lock()
	ps, ok := d.byConfig[key]
	d.mu.Unlock()
	if ok {
		return ps, nil
	}
	p, err := decodePostback(event, stored)
	if err != nil {
		return nil, err
	}
	c, err := Compile(p)
	if err != nil {
		return nil, fmt.Errorf("stored postback %s: %w", event, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if ps, ok := d.byConfig[key]; ok {
		return ps, nil
	}
	ps = newPostbackState(c)
	ps.stored = key
	d.byConfig[key] = ps
	return ps, nil
}

// finishShared journals an attempt of a claimed delivery in the
// schedule, with the next one, and fires the update of a delivered
// application.
func (d *Dispatcher) finishShared(dl *delivery, a Attempt, now time.Time) {
	defer dl.renew()
	a.Replica, a.TakenOverFrom = d.sched.replica, dl.takenOverFrom
	a.Retry = a.Outcome.Retries() && a.N < MaxAttempts
	rec := dl.shared
	var next *time.Time
	if a.Retry {
		n := now.Add(RetryDelay(a.N))
		a.Next, next = &n, &n
		rec.Scheduled = n
	} else {
		rec.Outcome = EndOf(a.Outcome, a.N)
	}
	rec.Attempts = append(dl.Attempts, a)
	var prev *fixtures.PublisherApplication
	if next == nil && rec.Outcome == DeliveryDelivered && rec.UpdateOf == "" && d.update >= 0 {
		prev, _ = dl.payload.(*fixtures.PublisherApplication)
	}
	if rec.UpdateOf == "" {
		rec.Payload = nil
	}
	if ok, err := d.sched.finish(context.Background(), rec, next, d.max); err != nil || !ok {
		return // the lease was lost: the replica that took it over journals its own attempt
	}
	if next != nil {
		d.kickPoll()
	}
	if prev != nil { // fired once the delivery is journaled as delivered, by its sender only
		at := now.Add(d.update)
		upd := fixtures.NewImpactGen(updateSeed(prev), at).PublisherApplicationUpdate(prev)
		if r, err := dl.ps.c.Render(upd); err == nil {
			_, _ = d.fireShared(dl.ps, upd, r, rec.ID, at, at.Add(dl.ps.c.MinDelay.D()))
		}
	}
	d.notify()
	if d.onAttempt != nil {
		d.onAttempt(a)
	}
}

// sharedDeliveries reads the deliveries from the schedule.
func (d *Dispatcher) sharedDeliveries() ([]Delivery, error) {
	recs, err := d.sched.all(context.Background())
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, len(recs))
	for i, r := range recs {
		out[i] = r.Delivery
	}
	return out, nil
}

// ListDeliveries returns every delivery, oldest first, and the counts,
// or the error of the schedule (Options.Schedule) that keeps them.
func (d *Dispatcher) ListDeliveries(ctx context.Context) ([]Delivery, Stats, error) {
	if d.sched == nil {
		return d.Deliveries(), d.Stats(), nil
	}
	st, err := d.sched.counts(ctx)
	if err != nil {
		return nil, Stats{}, err
	}
	out, err := d.sharedDeliveries()
	return out, st, err
}

// waitShared polls the schedule every ScheduleOptions.Poll until done
// says so.
func (d *Dispatcher) waitShared(ctx context.Context, done func(Stats) bool) error {
	for {
		st, err := d.sched.counts(ctx)
		if err == nil && done(st) {
			return nil
		}
		if err := d.clock.Sleep(ctx, d.sched.pollOnClock); err != nil {
			return err
		}
	}
}
