package mockimpact

import (
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
)

// TestDispatcher is a Dispatcher on a virtual clock, for Go tests: Fire
// events, then RunUntilIdle (or Advance) and read Deliveries. A 31-hour
// retry schedule runs in milliseconds and gives the same journal every
// time.
type TestDispatcher struct {
	*Dispatcher
	// Clock is the virtual clock; it starts at clock.Epoch.
	Clock *clock.Virtual
	// Script is the scripted receiver when WithScript was given.
	Script *Script

	t testing.TB
}

// TestOption adjusts a TestDispatcher.
type TestOption func(*testSetup)

type testSetup struct {
	opts   Options
	script *Script
}

// WithScript answers every attempt from an in-memory scripted receiver
// (no sockets): attempt N of each delivery gets step N, the last step
// repeating.
func WithScript(steps ...Step) TestOption {
	return func(s *testSetup) {
		s.script = NewScript(steps...)
		s.opts.Transport, s.opts.Resolver = s.script, s.script
	}
}

// WithTransport sends through t (for example a mockery mock).
func WithTransport(t Transport) TestOption { return func(s *testSetup) { s.opts.Transport = t } }

// WithResolver resolves hosts with r.
func WithResolver(r Resolver) TestOption { return func(s *testSetup) { s.opts.Resolver = r } }

// WithOnAttempt calls f after each attempt.
func WithOnAttempt(f func(Attempt)) TestOption {
	return func(s *testSetup) { s.opts.OnAttempt = f }
}

// NewTestDispatcher returns a dispatcher on a virtual clock with cfg
// configured. Without WithScript or WithTransport it sends for real,
// which suits a receiver started with httptest.NewServer.
func NewTestDispatcher(t testing.TB, cfg Postback, opts ...TestOption) *TestDispatcher {
	t.Helper()
	vc := clock.NewVirtual(time.Time{})
	s := &testSetup{opts: Options{Clock: vc}}
	for _, o := range opts {
		o(s)
	}
	s.opts.Clock = vc
	d := NewDispatcher(s.opts)
	if _, err := d.Configure(cfg); err != nil {
		t.Fatalf("NewTestDispatcher: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return &TestDispatcher{Dispatcher: d, Clock: vc, Script: s.script, t: t}
}

// Fire queues ev and returns its delivery ID; it fails the test on error.
func (td *TestDispatcher) Fire(ev fixtures.Event) string {
	td.t.Helper()
	id, err := td.Dispatcher.Fire(ev)
	if err != nil {
		td.t.Fatalf("Fire: %v", err)
	}
	return id
}

// FireGenerated fires a generated event of the configured kind from seed.
func (td *TestDispatcher) FireGenerated(event string, seed int64) string {
	td.t.Helper()
	ev, err := fixtures.NewImpactGen(seed, td.Clock.Now()).Event(event)
	if err != nil {
		td.t.Fatalf("FireGenerated: %v", err)
	}
	return td.Fire(ev)
}

// maxSteps bounds RunUntilIdle: far more timer firings than any schedule
// needs, so a bug cannot loop forever.
const maxSteps = 10_000_000

// RunUntilIdle runs the virtual clock until nothing is scheduled.
func (td *TestDispatcher) RunUntilIdle() {
	td.t.Helper()
	if n := td.Clock.RunUntilIdle(maxSteps); n >= maxSteps {
		td.t.Fatalf("RunUntilIdle: still busy after %d timer firings", n)
	}
}

// Advance moves the virtual clock forward by d.
func (td *TestDispatcher) Advance(d time.Duration) { td.Clock.Advance(d) }

// Only returns the one delivery; it fails the test if there is not
// exactly one.
func (td *TestDispatcher) Only() Delivery {
	td.t.Helper()
	ds := td.Deliveries()
	if len(ds) != 1 {
		td.t.Fatalf("%d deliveries, want 1", len(ds))
	}
	return ds[0]
}
