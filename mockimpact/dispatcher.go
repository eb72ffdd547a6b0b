package mockimpact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/room"
)

// Options are a Dispatcher's dependencies. The zero value sends for real
// on the wall clock.
type Options struct {
	// Clock schedules every attempt and rate-limit decision; nil means the
	// wall clock. A *clock.Virtual makes the dispatcher a discrete-event
	// simulation.
	Clock clock.Clock
	// Transport sends requests; nil means NewLiveTransport(). A Simulator
	// (such as *Script) is asked how long each exchange takes, in virtual
	// time.
	Transport Transport
	// Resolver resolves hosts before each attempt; nil means
	// net.DefaultResolver.
	Resolver Resolver
	// TargetPolicy, when enabled, refuses postbacks to private, loopback,
	// link-local and the sandbox's own addresses: checked on the resolved
	// addresses of every attempt, and again at connect time by the
	// transport NewDispatcher builds when Transport is nil (give
	// NewLiveTransportWith the same policy when supplying one). A refused
	// attempt is the final outcome blocked_target; nothing is sent.
	TargetPolicy *TargetPolicy
	// OnAttempt, when set, is called after each attempt is journaled.
	OnAttempt func(Attempt)
	// MaxDeliveries bounds the journal: past it, the oldest finished
	// deliveries are forgotten (pending ones never are). 0 means no bound.
	MaxDeliveries int
	// MaxInFlight bounds the live attempts (resolving, connecting,
	// waiting for the answer) in progress at once, across all deliveries;
	// the others wait their turn, and the journal says how long
	// (Attempt.Queued). Without a bound, a burst of thousands of events
	// would run the emulator out of sockets and blame the receiver with
	// network errors. 0 means DefaultMaxInFlight. A Simulator transport
	// is not bounded: it opens no sockets.
	MaxInFlight int
	// UpdateDelay is how long after a PENDING publisher_application with
	// empty data points is delivered the update delivery is fired, with
	// those fields filled (docs/platforms.md#d-impact-application-update).
	// 0 means DefaultUpdateDelay; a negative delay sends no updates.
	UpdateDelay time.Duration
	// Configs keeps the postback configurations: Configure saves there,
	// and each Fire reads its event's configuration there (compiled again
	// only when the stored text changed), so a configuration saved through
	// one of the dispatchers sharing a store is used by the others from
	// their next event. nil means a new MemoryConfigs.
	Configs ConfigStore
	// Deliveries keeps the deliveries and their pending attempts; the
	// dispatcher claims the attempts due there and sends them. A store
	// shared by several dispatchers (package redisstore) lets any of them
	// send an attempt when it is due (exactly once while they live; one
	// killed loses nothing, its claimed attempts are taken over after
	// their lease), and each reads the whole journal; their clocks must
	// agree (the wall clock, or scaled clocks of the same factor and
	// epoch). nil means a new MemoryDeliveries, used by this dispatcher
	// only.
	Deliveries DeliveryStore
	// MaxPending bounds the deliveries not yet ended (pending attempts,
	// an application's update to come): past it, Fire fails with
	// ErrTooManyPending. 0 means no bound (a sandbox sets one).
	MaxPending int
	// Admit, when set, is asked before each Fire stores a delivery; its
	// error fails the Fire (a sandbox-wide bound on pending deliveries).
	Admit func(ctx context.Context) error
	// Hop is this dispatcher's hop marker (NewHopMarker): every attempt
	// carries it on HopHeader, after the markers the event came with, so
	// that a sandbox can refuse its own postbacks. Empty sends the
	// markers the event came with only.
	Hop string
}

// DefaultUpdateDelay is Options.UpdateDelay when it is 0.
const DefaultUpdateDelay = time.Hour

// DefaultMaxInFlight is the live attempts in progress at once when
// Options.MaxInFlight is 0: as many as NewLiveTransport keeps idle
// connections per host, so connections are reused.
const DefaultMaxInFlight = 64

// Dispatcher delivers events to their configured postbacks as impact.com
// does: renders each request once, sends it, classifies every attempt,
// retries on the documented schedule, and applies each configuration's
// minimum delay and rate limit. Many deliveries run at once; attempts of
// one delivery never overlap. Its state is in its stores
// (Options.Configs, Options.Deliveries): every method that reads or
// changes it may fail with their error, which wraps store.ErrUnavailable.
// Safe for concurrent use.
type Dispatcher struct {
	clock     clock.Clock
	transport Transport
	sim       Simulator     // transport, when it simulates
	slots     chan struct{} // live attempts in progress (nil when simulating)
	done      chan struct{} // closed by Close
	resolver  Resolver
	policy    *TargetPolicy
	onAttempt func(Attempt)
	max       int
	update    time.Duration // < 0: no update deliveries
	configs   ConfigStore
	store     DeliveryStore
	sharing   Sharing // store.Sharing()
	hop       string  // Options.Hop
	pending   int     // Options.MaxPending (0: none)
	admit     func(context.Context) error

	mu sync.Mutex
	// postbacks are the configurations Fire compiled, by event; byConfig
	// those of deliveries read from the store without theirs, by their
	// stored text. Each keeps its own rate limiter.
	postbacks map[string]*postbackState
	byConfig  map[string]*postbackState
	changed   chan struct{}
	watched   bool        // changed was handed out: close it at the next change
	closed    atomic.Bool // set by Close, d.mu held
	// The poll timer (poll.go): when armed, it fires at timerAt;
	// timerGen counts the timers armed.
	timer    clock.Timer
	timerAt  time.Time
	timerGen uint64
	// idlePolls counts the looks in a row that found the shared store
	// without any attempt scheduled (poll.go).
	idlePolls int
	// room is how many more deliveries admitOne lets in before it reads
	// the store's count of pending ones again: one read (a round trip to
	// Redis) per room's worth of events, not one per event, one read at
	// a time. Deliveries that end meanwhile make more room, found at the
	// next read.
	room room.Room
	// busy counts the live attempts claimed and not yet over, but for
	// those the rate limit holds back: poll claims no more than the
	// slots leave room for, so a burst waits in the store, not as
	// goroutines. starved says a poll found no room: the attempt that
	// makes enough polls again.
	busy    atomic.Int64
	starved atomic.Bool
	// work queues the claimed attempts for the workers that run them,
	// on the wall clock (nil on a virtual one, or when simulating);
	// workers counts those running (poll.go).
	work    chan Claim
	workers atomic.Int64
}

type postbackState struct {
	c       *Compiled
	limiter *rate.Limiter
	// stored is the configuration as the stores keep it (the JSON of
	// c.Postback); the deliveries made with it share it.
	stored json.RawMessage
}

func newPostbackState(c *Compiled, stored json.RawMessage) *postbackState {
	ps := &postbackState{c: c, stored: stored}
	if c.MaxRPS > 0 {
		ps.limiter = rate.NewLimiter(rate.Limit(c.MaxRPS), 1)
	}
	return ps
}

// NewDispatcher returns a dispatcher on the stores of o (new memory
// stores when they are nil).
func NewDispatcher(o Options) *Dispatcher {
	d := &Dispatcher{
		clock: o.Clock, transport: o.Transport, resolver: o.Resolver, policy: o.TargetPolicy, onAttempt: o.OnAttempt, max: o.MaxDeliveries,
		update: o.UpdateDelay, configs: o.Configs, store: o.Deliveries, hop: o.Hop, pending: o.MaxPending, admit: o.Admit,
		postbacks: map[string]*postbackState{}, byConfig: map[string]*postbackState{}, changed: make(chan struct{}), done: make(chan struct{}),
	}
	if d.update == 0 {
		d.update = DefaultUpdateDelay
	}
	if d.clock == nil {
		d.clock = clock.Real{}
	}
	if d.transport == nil {
		d.transport = NewLiveTransportWith(LiveOptions{Policy: o.TargetPolicy})
	}
	if d.resolver == nil {
		d.resolver = net.DefaultResolver
	}
	if d.configs == nil {
		d.configs = NewMemoryConfigs()
	}
	if d.store == nil {
		d.store = NewMemoryDeliveries()
	}
	d.sharing = d.store.Sharing()
	d.sim, _ = d.transport.(Simulator)
	if d.sim == nil {
		n := o.MaxInFlight
		if n <= 0 {
			n = DefaultMaxInFlight
		}
		d.slots = make(chan struct{}, n)
		switch d.clock.(type) {
		case clock.Real, *clock.Scaled: // a timer's function runs on a goroutine of its own
			d.work = make(chan Claim, n)
		}
	}
	if d.sharing.Poll > 0 {
		d.arm(d.clock.Now()) // what the others scheduled
	}
	return d
}

// Clock returns the dispatcher's clock.
func (d *Dispatcher) Clock() clock.Clock { return d.clock }

// Configure compiles p and saves it as the postback of its event,
// replacing any earlier one (deliveries already fired keep theirs).
func (d *Dispatcher) Configure(ctx context.Context, p Postback) (*Compiled, error) {
	c, err := Compile(p)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c.Postback)
	if err != nil {
		return nil, fmt.Errorf("postback %s: encoding: %w", c.Event, err)
	}
	if err := d.configs.SavePostback(ctx, c.Event, b); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.postbacks[c.Event] = newPostbackState(c, b)
	d.mu.Unlock()
	return c, nil
}

// Unconfigure removes the postback of event: events fired later are
// refused with ErrNoPostback (deliveries already fired keep theirs). It
// reports whether there was one.
func (d *Dispatcher) Unconfigure(ctx context.Context, event string) (bool, error) {
	had, err := d.configs.DeletePostback(ctx, event)
	if err != nil {
		return false, err
	}
	d.mu.Lock()
	delete(d.postbacks, event)
	d.mu.Unlock()
	return had, nil
}

// postback returns the configuration events of event are fired with, as
// stored (compiled again only when it changed).
func (d *Dispatcher) postback(ctx context.Context, event string) (*postbackState, error) {
	b, ok, err := d.configs.LoadPostback(ctx, event)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !ok {
		delete(d.postbacks, event)
		return nil, fmt.Errorf("%s: %w", event, ErrNoPostback)
	}
	if ps, ok := d.postbacks[event]; ok && string(ps.stored) == string(b) {
		return ps, nil
	}
	p, err := decodePostback(event, b)
	if err != nil {
		return nil, err
	}
	c, err := Compile(p)
	if err != nil {
		return nil, fmt.Errorf("stored postback %s: %w", event, err)
	}
	ps := newPostbackState(c, b)
	d.postbacks[event] = ps
	return ps, nil
}

// compiledFor returns the compiled configuration of a delivery: the one
// it was made with in this process, or else its stored configuration,
// compiled once per configuration in this process.
func (d *Dispatcher) compiledFor(rec *StoredDelivery) (*postbackState, error) {
	if rec.compiled != nil {
		return rec.compiled, nil
	}
	d.mu.Lock()
	ps, ok := d.byConfig[string(rec.Postback)]
	d.mu.Unlock()
	if ok {
		return ps, nil
	}
	p, err := decodePostback(rec.Event, rec.Postback)
	if err != nil {
		return nil, err
	}
	c, err := Compile(p)
	if err != nil {
		return nil, fmt.Errorf("stored postback %s: %w", rec.Event, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if ps, ok := d.byConfig[string(rec.Postback)]; ok {
		return ps, nil
	}
	ps = newPostbackState(c, rec.Postback)
	d.byConfig[string(rec.Postback)] = ps
	return ps, nil
}

// Postbacks returns the configured postbacks, by event name.
func (d *Dispatcher) Postbacks(ctx context.Context) ([]Postback, error) {
	m, err := d.configs.LoadPostbacks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Postback, 0, len(m))
	for event, b := range m {
		d.mu.Lock()
		ps := d.postbacks[event]
		d.mu.Unlock()
		if ps != nil && string(ps.stored) == string(b) {
			out = append(out, ps.c.Postback)
			continue
		}
		p, err := decodePostback(event, b)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Postback) int { return strings.Compare(a.Event, b.Event) })
	return out, nil
}

// ErrNoPostback is returned by Fire for an event with no postback.
var ErrNoPostback = errors.New("no postback configured for this event")

// ErrTooManyPending is Fire's error when the deliveries not yet ended
// reach Options.MaxPending (or the bound of Options.Admit, which wraps
// it).
var ErrTooManyPending = errors.New("too many deliveries pending: wait for some to end (a delivery ends by its last attempt, 31 hours after the first at the latest)")

// ErrClosed is returned by Fire after Close.
var ErrClosed = errors.New("dispatcher closed")

// Fire queues the delivery of ev to its event's postback and returns the
// delivery's ID. The request is rendered now, once; the first attempt
// is due after the postback's minimum delay. The hop markers in ctx
// (WithHops) go with every attempt.
func (d *Dispatcher) Fire(ctx context.Context, ev fixtures.Event) (string, error) {
	if d.isClosed() {
		return "", ErrClosed
	}
	ps, err := d.postback(ctx, ev.EventName())
	if err != nil {
		return "", err
	}
	if err := d.admitOne(ctx); err != nil {
		return "", err
	}
	r, err := ps.c.Render(ev)
	if err != nil {
		return "", fmt.Errorf("rendering %s: %w", ev.EventName(), err)
	}
	var keep fixtures.Event // an application to update
	if app, ok := ev.(*fixtures.PublisherApplication); ok && d.update >= 0 && fixtures.NeedsUpdate(app) {
		keep = ev
	}
	now := d.clock.Now()
	return d.add(ctx, ps, ev.EventName(), r, keep, "", HopsFromContext(ctx), now, now.Add(ps.c.MinDelay.D()))
}

// admitOne checks the bounds on pending deliveries before Fire adds
// one.
func (d *Dispatcher) admitOne(ctx context.Context) error {
	if d.pending > 0 {
		if err := d.room.Take(func() (int, error) {
			st, err := d.store.Stats(ctx)
			if err != nil {
				return 0, err
			}
			if st.Pending >= d.pending {
				return 0, fmt.Errorf("%w (%d in this namespace; the bound is %d)", ErrTooManyPending, st.Pending, d.pending)
			}
			return d.pending - st.Pending, nil
		}); err != nil {
			return err
		}
	}
	if d.admit != nil {
		return d.admit(ctx)
	}
	return nil
}

// PendingCount is how many deliveries have not ended.
func (d *Dispatcher) PendingCount(ctx context.Context) (int, error) {
	st, err := d.store.Stats(ctx)
	return st.Pending, err
}

// add stores a new delivery of event's request r, fired at fired, its
// first attempt due at due; payload is the event when the dispatcher
// needs it again, updateOf the delivery it updates, hops the markers of
// the request that fired it.
func (d *Dispatcher) add(ctx context.Context, ps *postbackState, event string, r *Rendered, payload fixtures.Event, updateOf string, hops []string, fired, due time.Time) (string, error) {
	id, err := d.store.NextID(ctx)
	if err != nil {
		return "", err
	}
	rec := &StoredDelivery{
		Delivery:  Delivery{ID: id, Event: event, Fired: fired, Outcome: DeliveryPending, Request: r, UpdateOf: updateOf, Hops: hops},
		Postback:  ps.stored,
		Scheduled: due,
		compiled:  ps,
	}
	if payload != nil {
		if rec.Payload, err = json.Marshal(payload); err != nil {
			return "", fmt.Errorf("delivery %s: encoding its event: %w", id, err)
		}
	}
	if err := d.store.Add(ctx, rec); err != nil {
		return "", err
	}
	d.notify(&due)
	return id, nil
}

// Changed returns a channel closed at the next change: a delivery added,
// an attempt journaled, Close. A reader takes it, reads, and waits on it
// when there was nothing new. (The attempts of other dispatchers sharing
// the store do not close it.)
func (d *Dispatcher) Changed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.watched = true
	return d.changed
}

// notify says this dispatcher changed something: it wakes the waiters
// on Changed and, given due, the time an attempt is due, arms the timer
// at it.
func (d *Dispatcher) notify(due *time.Time) {
	d.mu.Lock()
	if due != nil {
		d.armLocked(*due)
	}
	if d.watched {
		close(d.changed)
		d.changed, d.watched = make(chan struct{}), false
	}
	d.mu.Unlock()
}

func (d *Dispatcher) isClosed() bool { return d.closed.Load() }

// Close stops the dispatcher: it claims and sends nothing more, and the
// live attempts waiting for a slot return without sending. What becomes
// of the pending deliveries is the store's (DeliveryStore.Stop): the
// memory store cancels them (they stay in the journal), a shared one
// leaves them to the other dispatchers. It returns how many were
// cancelled.
func (d *Dispatcher) Close() int {
	d.mu.Lock()
	if d.closed.Load() {
		d.mu.Unlock()
		return 0
	}
	d.closed.Store(true)
	close(d.done)
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.mu.Unlock()
	n, _ := d.store.Stop(context.Background()) // a store that cannot be told cancels nothing
	d.notify(nil)
	return n
}
