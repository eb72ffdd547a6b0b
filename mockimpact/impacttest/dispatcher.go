package impacttest

import (
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// Dispatcher is a mockimpact.Dispatcher on a virtual clock, for Go tests:
// Fire events, then RunUntilIdle (or Advance) and read Deliveries. A
// 31-hour retry schedule runs in milliseconds and gives the same journal
// every time.
type Dispatcher struct {
	*mockimpact.Dispatcher
	// Clock is the virtual clock; it starts at clock.Epoch.
	Clock *clock.Virtual
	// Script is the scripted receiver when WithScript was given.
	Script *mockimpact.Script

	t TB
}

// Option adjusts a Dispatcher. With no option, attempts are sent for
// real (which suits a receiver started with httptest.NewServer) while
// the schedule runs on the virtual clock.
type Option func(*setup)

type setup struct {
	opts   mockimpact.Options
	script *mockimpact.Script
}

// WithScript answers every attempt from an in-memory scripted receiver
// (no sockets): attempt N of each delivery gets step N, the last step
// repeating.
func WithScript(steps ...mockimpact.Step) Option {
	return func(s *setup) {
		s.script = mockimpact.NewScript(steps...)
		s.opts.Transport, s.opts.Resolver = s.script, s.script
	}
}

// WithTransport sends through t (for example a mockery mock).
func WithTransport(t mockimpact.Transport) Option {
	return func(s *setup) { s.opts.Transport = t }
}

// WithResolver resolves hosts with r.
func WithResolver(r mockimpact.Resolver) Option { return func(s *setup) { s.opts.Resolver = r } }

// WithUpdateDelay sets how long after a PENDING publisher_application
// with empty data points is delivered its update is fired (negative: no
// updates); see mockimpact.Options.UpdateDelay.
func WithUpdateDelay(dt time.Duration) Option {
	return func(s *setup) { s.opts.UpdateDelay = dt }
}

// WithOnAttempt calls f after each attempt.
func WithOnAttempt(f func(mockimpact.Attempt)) Option {
	return func(s *setup) { s.opts.OnAttempt = f }
}

// NewDispatcher returns a dispatcher on a virtual clock with cfg
// configured; it fails the test if cfg is invalid, and closes the
// dispatcher when the test ends.
func NewDispatcher(t TB, cfg mockimpact.Postback, opts ...Option) *Dispatcher {
	t.Helper()
	vc := clock.NewVirtual(time.Time{})
	s := &setup{}
	for _, o := range opts {
		o(s)
	}
	s.opts.Clock = vc
	d := mockimpact.NewDispatcher(s.opts)
	if _, err := d.Configure(cfg); err != nil {
		t.Fatalf("impacttest.NewDispatcher: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return &Dispatcher{Dispatcher: d, Clock: vc, Script: s.script, t: t}
}

// Fire queues ev and returns its delivery ID; it fails the test on error.
func (d *Dispatcher) Fire(ev fixtures.Event) string {
	d.t.Helper()
	id, err := d.Dispatcher.Fire(ev)
	if err != nil {
		d.t.Fatalf("Fire: %v", err)
	}
	return id
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
