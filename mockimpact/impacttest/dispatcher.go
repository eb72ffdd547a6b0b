package impacttest

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/store"
)

// Dispatcher is a mockimpact.Dispatcher on a virtual clock, for Go tests:
// Fire events, then RunUntilIdle (or Advance) and read Deliveries. A
// 31-hour retry schedule runs in milliseconds and gives the same journal
// every time. Its methods fail the test on an error of the dispatcher's
// stores (memory ones, unless WithDeliveries or WithConfigs gives
// others).
type Dispatcher struct {
	// Clock is the virtual clock; it starts at clock.Epoch.
	Clock *clock.Virtual
	// Script is the scripted receiver when WithScript was given.
	Script *mockimpact.Script

	d *mockimpact.Dispatcher
	t TB
}

// Option adjusts the mockimpact.Options of a Dispatcher; options apply
// in the order given, each to what the ones before left, and none undoes
// another: WithScript answers and resolves only where no transport or
// resolver is set (whatever the order, WithTransport and WithResolver
// win for what they set), and each WithOnAttempt adds its hook after the
// ones before. Any func(*mockimpact.Options) is an Option:
//
//	impacttest.NewDispatcher(t, cfg, impacttest.WithScript(steps...), func(o *mockimpact.Options) { o.MaxDeliveries = 10 })
//
// The clock is always the Dispatcher's virtual one. With no option,
// attempts are sent for real (which suits a receiver started with
// httptest.NewServer) while the schedule runs on the virtual clock.
type Option func(*mockimpact.Options)

// WithScript answers every attempt from an in-memory scripted receiver
// (no sockets): attempt N of each delivery gets step N, the last step
// repeating. It also resolves the hosts, unless WithResolver is given.
func WithScript(steps ...mockimpact.Step) Option {
	script := mockimpact.NewScript(steps...)
	return func(o *mockimpact.Options) {
		if o.Transport == nil {
			o.Transport = script
		}
		if o.Resolver == nil {
			o.Resolver = script
		}
	}
}

// WithTransport sends through t (for example a mockery mock).
func WithTransport(t mockimpact.Transport) Option {
	return func(o *mockimpact.Options) {
		if _, ok := o.Transport.(*mockimpact.Script); ok || o.Transport == nil {
			o.Transport = t
		}
	}
}

// WithResolver resolves hosts with r.
func WithResolver(r mockimpact.Resolver) Option {
	return func(o *mockimpact.Options) {
		if _, ok := o.Resolver.(*mockimpact.Script); ok || o.Resolver == nil {
			o.Resolver = r
		}
	}
}

// WithUpdateDelay sets how long after a PENDING publisher_application
// with empty data points is delivered its update is fired (negative: no
// updates); see mockimpact.Options.UpdateDelay.
func WithUpdateDelay(dt time.Duration) Option {
	return func(o *mockimpact.Options) { o.UpdateDelay = dt }
}

// WithOnAttempt calls f after each attempt, after the hooks of earlier
// WithOnAttempt options.
func WithOnAttempt(f func(mockimpact.Attempt)) Option {
	return func(o *mockimpact.Options) {
		prev := o.OnAttempt
		if prev == nil {
			o.OnAttempt = f
			return
		}
		o.OnAttempt = func(a mockimpact.Attempt) { prev(a); f(a) }
	}
}

// WithDeliveries keeps the deliveries in st instead of a new
// mockimpact.MemoryDeliveries (a store shared with other dispatchers
// needs a clock that agrees with theirs, which the virtual clock does not
// unless they share it).
func WithDeliveries(st mockimpact.DeliveryStore) Option {
	return func(o *mockimpact.Options) { o.Deliveries = st }
}

// WithConfigs keeps the postback configurations in st instead of a new
// mockimpact.MemoryConfigs.
func WithConfigs(st mockimpact.ConfigStore) Option {
	return func(o *mockimpact.Options) { o.Configs = st }
}

// NewDispatcher returns a dispatcher on a virtual clock with cfg
// configured; it fails the test if cfg is invalid, and closes the
// dispatcher when the test ends.
func NewDispatcher(t TB, cfg mockimpact.Postback, opts ...Option) *Dispatcher {
	t.Helper()
	vc := clock.NewVirtual(time.Time{})
	var o mockimpact.Options
	for _, opt := range opts {
		opt(&o)
	}
	o.Clock = vc
	script, _ := o.Transport.(*mockimpact.Script)
	if script == nil {
		script, _ = o.Resolver.(*mockimpact.Script)
	}
	d := mockimpact.NewDispatcher(o)
	if _, err := d.Configure(context.Background(), cfg); err != nil {
		t.Fatalf("impacttest.NewDispatcher: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return &Dispatcher{Clock: vc, Script: script, d: d, t: t}
}

// Configure makes p the postback of its event, replacing any; it fails
// the test if p is invalid.
func (d *Dispatcher) Configure(p mockimpact.Postback) {
	d.t.Helper()
	if _, err := d.d.Configure(context.Background(), p); err != nil {
		d.t.Fatalf("Configure: %v", err)
	}
}

// Fire queues ev and returns its delivery ID; it fails the test on error.
func (d *Dispatcher) Fire(ev fixtures.Event) string {
	d.t.Helper()
	id, err := d.TryFire(ev)
	if err != nil {
		d.t.Fatalf("Fire: %v", err)
	}
	return id
}

// TryFire queues ev and returns its delivery ID, or the error Fire
// meets (mockimpact.ErrNoPostback for an event with no postback).
func (d *Dispatcher) TryFire(ev fixtures.Event) (string, error) {
	return d.d.Fire(context.Background(), ev)
}

// FireGenerated fires a generated event of the named kind from seed, in
// the event's default status.
func (d *Dispatcher) FireGenerated(event string, seed int64) string {
	d.t.Helper()
	return d.FireGeneratedWith(event, fixtures.GenOptions{Seed: seed})
}

// FireGeneratedWith fires an event of the named kind generated as o says
// (seed and status: FireGeneratedWith("action_lifecycle",
// fixtures.GenOptions{Seed: 7, Status: fixtures.ActionReversed})); it
// fails the test on an unknown event or a status the event does not have.
func (d *Dispatcher) FireGeneratedWith(event string, o fixtures.GenOptions) string {
	d.t.Helper()
	ev, err := fixtures.Generate(event, o, d.Clock.Now())
	if err != nil {
		d.t.Fatalf("FireGeneratedWith: %v", err)
	}
	return d.Fire(ev)
}

// RunUntilIdle runs the virtual clock until nothing is scheduled; it
// fails the test when timers are still pending after clock.MaxFirings.
func (d *Dispatcher) RunUntilIdle() {
	d.t.Helper()
	if err := d.Clock.Settle(); err != nil {
		d.t.Fatalf("RunUntilIdle: %v", err)
	}
}

// Advance moves the virtual clock forward by dt.
func (d *Dispatcher) Advance(dt time.Duration) { d.Clock.Advance(dt) }

// Deliveries returns every delivery, oldest first.
func (d *Dispatcher) Deliveries() []mockimpact.Delivery {
	d.t.Helper()
	ds, err := d.d.Deliveries(context.Background())
	if err != nil {
		d.t.Fatalf("Deliveries: %v", err)
	}
	return ds
}

// Delivery returns delivery id; ok is false when there is none.
func (d *Dispatcher) Delivery(id string) (dl mockimpact.Delivery, ok bool) {
	d.t.Helper()
	dl, ok, err := d.d.Delivery(context.Background(), id)
	if err != nil {
		d.t.Fatalf("Delivery: %v", err)
	}
	return dl, ok
}

// Only returns the one delivery; it fails the test if there is not
// exactly one.
func (d *Dispatcher) Only() mockimpact.Delivery {
	d.t.Helper()
	ds := d.Deliveries()
	if len(ds) != 1 {
		d.t.Fatalf("%d deliveries, want 1", len(ds))
	}
	return ds[0]
}

// Stats returns the counts of deliveries and attempts.
func (d *Dispatcher) Stats() mockimpact.Stats {
	d.t.Helper()
	st, err := d.d.Stats(context.Background())
	if err != nil {
		d.t.Fatalf("Stats: %v", err)
	}
	return st
}

// Payload returns the event of delivery id when the dispatcher keeps it
// (see mockimpact.Dispatcher.Payload).
func (d *Dispatcher) Payload(id string) (ev fixtures.Event, ok bool) {
	d.t.Helper()
	ev, ok, err := d.d.Payload(context.Background(), id)
	if err != nil {
		d.t.Fatalf("Payload: %v", err)
	}
	return ev, ok
}

// RetryNow moves the next attempt of delivery id to now; it returns
// mockimpact.ErrNoDelivery or ErrNotWaiting when it cannot.
func (d *Dispatcher) RetryNow(id string) error {
	d.t.Helper()
	err := d.d.RetryNow(context.Background(), id)
	if errors.Is(err, store.ErrUnavailable) {
		d.t.Fatalf("RetryNow: %v", err)
	}
	return err
}

// Replay delivers the request of delivery id again as a new delivery and
// returns its ID, or mockimpact.ErrNoDelivery.
func (d *Dispatcher) Replay(id string) (string, error) {
	d.t.Helper()
	nid, err := d.d.Replay(context.Background(), id)
	if errors.Is(err, store.ErrUnavailable) {
		d.t.Fatalf("Replay: %v", err)
	}
	return nid, err
}

// Admin returns the dispatcher's HTTP admin API (mockimpact.NewAdmin),
// for tests of code that drives it over HTTP.
func (d *Dispatcher) Admin(opts ...mockimpact.AdminOption) http.Handler {
	return mockimpact.NewAdmin(d.d, opts...)
}

// Close closes the dispatcher, as the test's end does, and returns how
// many pending deliveries it cancelled.
func (d *Dispatcher) Close() int { return d.d.Close() }
