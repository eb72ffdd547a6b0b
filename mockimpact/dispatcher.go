package mockimpact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
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
	// Configs, when set, keeps the postback configurations where other
	// dispatchers share them (Redis, NewRedisConfigs): Configure saves
	// there, and each Fire reads its event's configuration there, so a
	// configuration saved through one replica is used by every other. nil
	// keeps them in this dispatcher's memory.
	Configs ConfigStore
	// Schedule, when set, keeps the deliveries and their pending attempts
	// in Redis, shared by every dispatcher on it: any of them sends an
	// attempt when it is due (exactly once while they live; one killed
	// loses nothing, its claimed attempts are taken over after their
	// lease), and each reads the whole delivery journal. Due times are
	// the Clock's: dispatchers sharing a schedule need clocks that agree
	// (the wall clock, or scaled clocks of the same factor and epoch).
	// Close then leaves the pending deliveries to the others. nil keeps
	// them in this dispatcher's memory, on its timers.
	Schedule *RedisSchedule
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
// one delivery never overlap. Safe for concurrent use.
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
	configs   ConfigStore   // nil: the postbacks map is the only copy
	sched     *RedisSchedule
	kick      chan struct{}             // with sched: wakes the poller (kickPoll)
	byConfig  map[string]*postbackState // with sched: compiled stored configurations

	mu         sync.Mutex
	postbacks  map[string]*postbackState
	deliveries []*delivery
	byID       map[string]*delivery
	seq        int
	attempts   int
	pending    int
	evicted    int
	changed    chan struct{}
	closed     bool
}

type postbackState struct {
	c       *Compiled
	limiter *rate.Limiter
	// stored is the configuration as the ConfigStore holds it, when
	// there is one: a Fire reuses this state (and its rate limiter) while
	// the stored configuration is the same.
	stored string
}

type delivery struct {
	Delivery
	ps        *postbackState
	scheduled time.Time
	limited   time.Duration // how long the rate limit holds the attempt due
	timer     clock.Timer
	// payload is kept only where the dispatcher needs it again: a PENDING
	// application that will be updated, and the update itself.
	payload fixtures.Event
	// shared is the delivery as the schedule holds it, when it came from
	// one (Options.Schedule); renew then stops renewing its lease.
	shared *StoredDelivery
	renew  func()
	// takenOverFrom is the replica whose lease on the attempt ended
	// (shared).
	takenOverFrom string
}

// NewDispatcher returns a dispatcher with no postbacks configured.
func NewDispatcher(o Options) *Dispatcher {
	d := &Dispatcher{
		clock: o.Clock, transport: o.Transport, resolver: o.Resolver, policy: o.TargetPolicy, onAttempt: o.OnAttempt, max: o.MaxDeliveries,
		postbacks: map[string]*postbackState{}, byID: map[string]*delivery{}, changed: make(chan struct{}),
		done: make(chan struct{}), update: o.UpdateDelay, configs: o.Configs, sched: o.Schedule,
		byConfig: map[string]*postbackState{},
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
	d.sim, _ = d.transport.(Simulator)
	if d.sim == nil {
		n := o.MaxInFlight
		if n <= 0 {
			n = DefaultMaxInFlight
		}
		d.slots = make(chan struct{}, n)
	}
	if d.sched != nil {
		d.kick = make(chan struct{}, 1)
		go d.poll()
	}
	return d
}

// Clock returns the dispatcher's clock.
func (d *Dispatcher) Clock() clock.Clock { return d.clock }

// Configure compiles p and makes it the postback of its event, replacing
// any earlier one (deliveries already fired keep theirs). With
// Options.Configs it is saved there first; an error of the store wraps
// ErrStoreUnavailable.
func (d *Dispatcher) Configure(p Postback) (*Compiled, error) {
	c, err := Compile(p)
	if err != nil {
		return nil, err
	}
	ps := newPostbackState(c)
	if d.configs != nil {
		b, err := json.Marshal(c.Postback)
		if err != nil {
			return nil, fmt.Errorf("postback %s: encoding: %w", c.Event, err)
		}
		if err := d.configs.SavePostback(context.Background(), c.Event, b); err != nil {
			return nil, err
		}
		ps.stored = string(b)
	}
	d.mu.Lock()
	d.postbacks[c.Event] = ps
	d.mu.Unlock()
	return c, nil
}

func newPostbackState(c *Compiled) *postbackState {
	ps := &postbackState{c: c}
	if c.MaxRPS > 0 {
		ps.limiter = rate.NewLimiter(rate.Limit(c.MaxRPS), 1)
	}
	return ps
}

// Unconfigure removes the postback of event: events fired later are
// refused with ErrNoPostback (deliveries already fired keep theirs). It
// reports whether there was one.
func (d *Dispatcher) Unconfigure(event string) (bool, error) {
	had := false
	if d.configs != nil {
		var err error
		if had, err = d.configs.DeletePostback(context.Background(), event); err != nil {
			return false, err
		}
	}
	d.mu.Lock()
	if _, ok := d.postbacks[event]; ok {
		had = had || d.configs == nil
		delete(d.postbacks, event)
	}
	d.mu.Unlock()
	return had, nil
}

// postback returns the configuration fired events of event use, from
// Options.Configs (compiled again only when it changed).
func (d *Dispatcher) postback(event string) (*postbackState, error) {
	b, ok, err := d.configs.LoadPostback(context.Background(), event)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !ok {
		delete(d.postbacks, event)
		return nil, fmt.Errorf("%s: %w", event, ErrNoPostback)
	}
	if ps, ok := d.postbacks[event]; ok && ps.stored == string(b) {
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
	ps := newPostbackState(c)
	ps.stored = string(b)
	d.postbacks[event] = ps
	return ps, nil
}

// Postbacks returns the configured postbacks, by event name. With
// Options.Configs they are read there; if the store cannot be read, the
// ones this dispatcher last saw are returned (ListPostbacks reports the
// error).
func (d *Dispatcher) Postbacks() []Postback {
	if d.configs != nil {
		if out, err := d.ListPostbacks(context.Background()); err == nil {
			return out
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Postback, 0, len(d.postbacks))
	for _, ps := range d.postbacks {
		out = append(out, ps.c.Postback)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Event < out[j].Event })
	return out
}

// ListPostbacks returns the configured postbacks, by event name, or the
// error of the store (Options.Configs) that keeps them.
func (d *Dispatcher) ListPostbacks(ctx context.Context) ([]Postback, error) {
	if d.configs == nil {
		return d.Postbacks(), nil
	}
	m, err := d.configs.LoadPostbacks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Postback, 0, len(m))
	for event, b := range m {
		p, err := decodePostback(event, b)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Event < out[j].Event })
	return out, nil
}

// ErrNoPostback is returned by Fire for an event with no postback.
var ErrNoPostback = errors.New("no postback configured for this event")

// ErrClosed is returned by Fire after Close.
var ErrClosed = errors.New("dispatcher closed")

// Fire queues the delivery of ev to its event's postback and returns the
// delivery's ID. The request is rendered now, once; the first attempt
// is due after the postback's minimum delay.
func (d *Dispatcher) Fire(ev fixtures.Event) (string, error) { return d.fire(ev, "") }

// fire queues ev; updateOf names the delivery ev updates, if any.
func (d *Dispatcher) fire(ev fixtures.Event, updateOf string) (string, error) {
	d.mu.Lock()
	ps, closed := d.postbacks[ev.EventName()], d.closed
	d.mu.Unlock()
	if closed {
		return "", ErrClosed
	}
	if d.configs != nil {
		var err error
		if ps, err = d.postback(ev.EventName()); err != nil {
			return "", err
		}
	} else if ps == nil {
		return "", fmt.Errorf("%s: %w", ev.EventName(), ErrNoPostback)
	}
	r, err := ps.c.Render(ev)
	if err != nil {
		return "", fmt.Errorf("rendering %s: %w", ev.EventName(), err)
	}
	now := d.clock.Now()
	if d.sched != nil {
		return d.fireShared(ps, ev, r, updateOf, now, now.Add(ps.c.MinDelay.D()))
	}
	d.mu.Lock()
	d.seq++
	dl := &delivery{ps: ps, Delivery: Delivery{
		ID: fmt.Sprintf("d%06d", d.seq), Event: ev.EventName(), Fired: now, Outcome: DeliveryPending, Request: r,
		UpdateOf: updateOf,
	}}
	if app, ok := ev.(*fixtures.PublisherApplication); updateOf != "" || ok && d.update >= 0 && fixtures.NeedsUpdate(app) {
		dl.payload = ev
	}
	d.deliveries = append(d.deliveries, dl)
	d.byID[dl.ID] = dl
	d.pending++
	d.scheduleLocked(dl, now.Add(ps.c.MinDelay.D()), now)
	d.mu.Unlock()
	return dl.ID, nil
}

func (d *Dispatcher) scheduleLocked(dl *delivery, due, now time.Time) {
	dl.scheduled = due
	dl.timer = d.clock.AfterFunc(due.Sub(now), func() { d.due(dl) })
}

// due runs when an attempt falls due: the rate limit may hold it back.
func (d *Dispatcher) due(dl *delivery) {
	now := d.clock.Now()
	dl.limited = 0
	if lim := dl.ps.limiter; lim != nil {
		if wait := lim.ReserveN(now, 1).DelayFrom(now); wait > 0 {
			dl.limited = wait
			d.mu.Lock()
			if d.closed {
				d.mu.Unlock()
				return
			}
			dl.timer = d.clock.AfterFunc(wait, func() { d.send(dl) })
			d.mu.Unlock()
			return
		}
	}
	d.send(dl)
}

// send makes one attempt, once a slot is free (live).
func (d *Dispatcher) send(dl *delivery) {
	var queued time.Duration
	if d.slots != nil {
		wait := d.clock.Now()
		select {
		case d.slots <- struct{}{}:
		case <-d.done: // closed while waiting: Close marked the delivery cancelled
			return
		}
		defer func() { <-d.slots }()
		queued = d.clock.Now().Sub(wait)
	}
	start := d.clock.Now()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	n := len(dl.Attempts) + 1
	a := Attempt{DeliveryID: dl.ID, Event: dl.Event, N: n, Scheduled: dl.scheduled, Actual: start,
		RateLimited: dl.limited, Queued: queued}
	if n > 1 {
		a.Offset = start.Sub(dl.Attempts[0].Actual)
	}
	d.mu.Unlock()

	c := dl.ps.c
	ctx := WithAttempt(context.Background(), AttemptInfo{DeliveryID: dl.ID, Event: dl.Event, N: n})
	var x exchange
	req, err := dl.Request.Request(ctx)
	if err != nil {
		x.invalidURL = err
		d.finish(dl, a, x, 0)
		return
	}
	host := req.URL.Hostname()
	addrs := []string{host}
	if net.ParseIP(host) == nil {
		var err error
		addrs, err = d.resolver.LookupHost(ctx, host)
		var dnsErr *net.DNSError
		switch {
		case err != nil && errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary) && !dnsErr.IsNotFound:
			x.netErr = fmt.Errorf("resolving %s: %w", host, err)
		case err != nil:
			x.dnsErr = err
		case len(addrs) == 0:
			x.dnsErr = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		if x.dnsErr != nil || x.netErr != nil {
			d.finish(dl, a, x, 0)
			return
		}
	}
	if d.policy.Enabled() {
		allowed, err := d.policy.checkResolved(addrs, urlPort(req.URL))
		if err != nil {
			x.blocked = err
			d.finish(dl, a, x, 0)
			return
		}
		addrs = allowed
	}
	if net.ParseIP(host) == nil || d.policy.Enabled() {
		req = req.WithContext(context.WithValue(req.Context(), resolvedKey{}, resolved{host: host, addrs: addrs}))
	}

	if d.sim != nil {
		resp, latency, err := d.sim.Simulate(req, c.Timeout.D())
		if err == nil {
			x.status = resp.StatusCode
			x.body, err = readSome(resp)
		}
		x.netErr = err
		if errors.Is(err, ErrBlockedTarget) {
			x.netErr, x.blocked = nil, err
		}
		d.clock.AfterFunc(latency, func() { d.finish(dl, a, x, latency) })
		return
	}
	status, body, latency, err := sendLive(d.transport, req, c.Timeout.D())
	x.status, x.body, x.netErr = status, body, err
	if errors.Is(err, ErrBlockedTarget) { // refused at connect time
		x.netErr, x.blocked = nil, err
	}
	d.finish(dl, a, x, latency)
}

// finish classifies the attempt, journals it, and schedules the next one.
func (d *Dispatcher) finish(dl *delivery, a Attempt, x exchange, latency time.Duration) {
	c := dl.ps.c
	a.Outcome = classify(outcomes[:], x, c.Success, c.Error)
	a.Latency = latency
	a.Status = x.status
	if len(x.body) > 0 {
		a.ResponseBody = excerpt(x.body)
	}
	for _, err := range []error{x.invalidURL, x.dnsErr, x.blocked, x.netErr} {
		if err != nil {
			a.Error = err.Error()
		}
	}
	if x.netErr != nil {
		a.ErrorKind, a.Status = networkErrorKind(x.netErr), 0
	}
	a.Flagged = a.Outcome.Flagged()
	now := d.clock.Now()
	if dl.shared != nil {
		d.finishShared(dl, a, now)
		return
	}

	d.mu.Lock()
	a.Retry = !d.closed && a.Outcome.Retries() && a.N < MaxAttempts
	switch {
	case d.closed: // in flight when Close ran: journaled, never retried
	case a.Retry:
		next := now.Add(RetryDelay(a.N))
		a.Next = &next
		d.scheduleLocked(dl, next, now)
	default:
		dl.Outcome = EndOf(a.Outcome, a.N)
		dl.timer = nil
		d.pending--
		d.scheduleUpdateLocked(dl)
	}
	dl.Attempts = append(dl.Attempts, a)
	d.attempts++
	if d.max > 0 && len(d.deliveries) > d.max && !a.Retry {
		d.evictLocked()
	}
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
	if d.onAttempt != nil {
		d.onAttempt(a)
	}
}

// scheduleUpdateLocked fires the update of a delivered PENDING
// application with empty data points, UpdateDelay later. The update
// counts as pending until it is fired.
func (d *Dispatcher) scheduleUpdateLocked(dl *delivery) {
	prev, ok := dl.payload.(*fixtures.PublisherApplication)
	if !ok || dl.UpdateOf != "" || dl.Outcome != DeliveryDelivered {
		if dl.UpdateOf == "" {
			dl.payload = nil // nothing more to do with it
		}
		return
	}
	dl.payload = nil
	d.pending++
	d.clock.AfterFunc(d.update, func() {
		d.mu.Lock()
		closed := d.closed
		if !closed {
			d.pending--
		}
		d.mu.Unlock()
		if closed {
			return
		}
		next := fixtures.NewImpactGen(updateSeed(prev), d.clock.Now()).PublisherApplicationUpdate(prev)
		_, _ = d.fire(next, dl.ID) // fails only once closed; nothing to journal then
	})
}

// updateSeed derives the seed of an application's update from its ids,
// so the same application is always updated with the same data.
func updateSeed(p *fixtures.PublisherApplication) int64 {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%s|%s|%s", p.ContractId, p.PublisherId, p.ApplicationDate)
	return int64(h.Sum64() & (1<<62 - 1))
}

// Payload returns the event of a delivery when the dispatcher keeps it:
// an update delivery (Delivery.UpdateOf set), whose payload the
// dispatcher made, and a PENDING application waiting for its update.
func (d *Dispatcher) Payload(id string) (fixtures.Event, bool) {
	if d.sched != nil {
		rec, ok, err := d.sched.load(context.Background(), id)
		if err != nil || !ok || len(rec.Payload) == 0 {
			return nil, false
		}
		spec, err := fixtures.LookupEvent(rec.Event)
		if err != nil {
			return nil, false
		}
		ev := spec.New()
		if json.Unmarshal(rec.Payload, ev) != nil {
			return nil, false
		}
		return ev, true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, ok := d.byID[id]
	if !ok || dl.payload == nil {
		return nil, false
	}
	return dl.payload, true
}

func excerpt(b []byte) string {
	if len(b) <= responseExcerpt {
		return string(b)
	}
	return string(b[:responseExcerpt]) + "…"
}

// Deliveries returns every delivery, oldest first. With
// Options.Schedule they are read there, every replica's; nil when it
// cannot be read.
func (d *Dispatcher) Deliveries() []Delivery {
	if d.sched != nil {
		out, _ := d.sharedDeliveries()
		return out
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Delivery, len(d.deliveries))
	for i, dl := range d.deliveries {
		out[i] = dl.snapshot()
	}
	return out
}

// Delivery returns one delivery by ID.
func (d *Dispatcher) Delivery(id string) (Delivery, bool) {
	if d.sched != nil {
		rec, ok, err := d.sched.load(context.Background(), id)
		if err != nil || !ok {
			return Delivery{}, false
		}
		return rec.Delivery, true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, ok := d.byID[id]
	if !ok {
		return Delivery{}, false
	}
	return dl.snapshot(), true
}

func (dl *delivery) snapshot() Delivery {
	s := dl.Delivery
	s.Attempts = append([]Attempt(nil), dl.Attempts...)
	return s
}

// Stats counts deliveries and attempts.
type Stats struct {
	Deliveries int `json:"deliveries"`
	// Pending counts the deliveries not ended, and the application
	// updates scheduled but not fired yet.
	Pending  int `json:"pending"`
	Attempts int `json:"attempts"`
	// Evicted counts finished deliveries forgotten for MaxDeliveries.
	Evicted int `json:"evicted"`
}

// Stats reports the dispatcher's counts.
func (d *Dispatcher) Stats() Stats {
	if d.sched != nil {
		st, _ := d.sched.counts(context.Background())
		return st
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return Stats{Deliveries: len(d.deliveries), Pending: d.pending, Attempts: d.attempts, Evicted: d.evicted}
}

// WaitForAttempts blocks until at least n attempts have been journaled,
// or ctx is done.
func (d *Dispatcher) WaitForAttempts(ctx context.Context, n int) error {
	if d.sched != nil {
		return d.waitShared(ctx, func(st Stats) bool { return st.Attempts >= n })
	}
	return d.waitFor(ctx, func() bool { return d.attempts >= n })
}

// WaitIdle blocks until no delivery is pending, or ctx is done.
func (d *Dispatcher) WaitIdle(ctx context.Context) error {
	if d.sched != nil {
		return d.waitShared(ctx, func(st Stats) bool { return st.Pending == 0 })
	}
	return d.waitFor(ctx, func() bool { return d.pending == 0 })
}

func (d *Dispatcher) waitFor(ctx context.Context, done func() bool) error {
	for {
		d.mu.Lock()
		ok, ch := done(), d.changed
		d.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// evictLocked forgets the oldest finished deliveries until the journal
// is within its bound (or only pending ones are left).
func (d *Dispatcher) evictLocked() {
	excess := len(d.deliveries) - d.max
	kept := d.deliveries[:0]
	for _, dl := range d.deliveries {
		if excess > 0 && dl.Outcome != DeliveryPending {
			delete(d.byID, dl.ID)
			d.evicted++
			excess--
			continue
		}
		kept = append(kept, dl)
	}
	clear(d.deliveries[len(kept):])
	d.deliveries = kept
}

// Reset forgets every finished delivery (pending ones stay).
func (d *Dispatcher) Reset() {
	if d.sched != nil {
		_ = d.sched.reset(context.Background())
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	kept := d.deliveries[:0]
	for _, dl := range d.deliveries {
		if dl.Outcome == DeliveryPending {
			kept = append(kept, dl)
		} else {
			delete(d.byID, dl.ID)
		}
	}
	d.deliveries = kept
}

// Close stops the dispatcher: pending deliveries are marked cancelled
// (they stay in the journal) and their timers stopped. It returns how
// many were cancelled.
func (d *Dispatcher) Close() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0
	}
	d.closed = true
	close(d.done)
	if d.sched != nil { // the pending deliveries are the other replicas' to send
		close(d.changed)
		d.changed = make(chan struct{})
		return 0
	}
	n := 0
	for _, dl := range d.deliveries {
		if dl.Outcome == DeliveryPending {
			if dl.timer != nil {
				dl.timer.Stop()
			}
			dl.Outcome = DeliveryCancelled
			n++
		}
	}
	d.pending = 0
	close(d.changed)
	d.changed = make(chan struct{})
	return n
}

// urlPort is the port a request to u connects to.
func urlPort(u *url.URL) uint16 {
	if p, err := strconv.ParseUint(u.Port(), 10, 16); err == nil {
		return uint16(p)
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}
