package mockimpact

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/clock"
)

// claimBatch is the most attempts one look at the store claims.
const claimBatch = 64

// maxIdleBackoff bounds how many times Sharing().Poll a dispatcher waits
// between looks at a shared store that holds no attempt at all: 64 idle
// namespaces then cost a few percent of a core, not a tenth.
const maxIdleBackoff = 4

// storeRetry is how long, on the dispatcher's clock, the poll timer
// waits after the store failed, when the store sets no Poll.
const storeRetry = time.Second

// arm makes the poll timer fire at t, unless it is armed to fire before.
// The dispatcher keeps one timer, at the earliest due time it knows of:
// a delivery added, an attempt journaled or moved (RetryNow) by this
// process, or what the store said when it was last looked at.
func (d *Dispatcher) arm(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armLocked(t)
}

// armLocked is arm, d.mu held.
func (d *Dispatcher) armLocked(t time.Time) {
	if d.closed.Load() || d.timer != nil && !t.Before(d.timerAt) {
		return
	}
	if d.timer != nil {
		d.timer.Stop()
	}
	d.timerGen++
	gen := d.timerGen
	d.timer, d.timerAt = d.clock.AfterFunc(t.Sub(d.clock.Now()), func() { d.poll(gen) }), t
}

// poll claims the attempts due, runs each, and arms the timer again: at
// once when a full batch came back (more may be due), else at the
// earliest attempt left and, on a store shared with other dispatchers,
// at most Sharing().Poll later for what they schedule. Each attempt runs
// from its own timer, due now: on the wall clock each has its goroutine
// (live ones are bounded by the slots); on a clock.Virtual they run in
// turn, in the order claimed, on the goroutine that advances the clock,
// and the next batch is claimed after them.
func (d *Dispatcher) poll(gen uint64) {
	d.mu.Lock()
	if d.timerGen == gen {
		d.timer = nil
	}
	d.mu.Unlock()
	if d.isClosed() {
		return
	}
	most := d.reserveRoom()
	if most <= 0 {
		// Every slot is taken: the attempt that frees enough of them
		// polls again (release), whatever is due meanwhile.
		d.starved.Store(true)
		if most = d.reserveRoom(); most <= 0 {
			return
		}
		d.starved.Store(false) // one ended meanwhile
	}
	now := d.clock.Now()
	claims, next, ok, err := d.store.Claim(context.Background(), now, most)
	d.unreserve(most - len(claims))
	for _, c := range claims {
		d.start(c)
	}
	poll := d.sharing.Poll
	d.mu.Lock()
	if err == nil && !ok && len(claims) == 0 {
		// Nothing scheduled by anyone: look less often, up to
		// maxIdleBackoff × Poll, until something is.
		d.idlePolls = min(d.idlePolls+1, maxIdleBackoff)
	} else {
		d.idlePolls = 0
	}
	poll *= time.Duration(max(d.idlePolls, 1))
	d.mu.Unlock()
	switch {
	case err != nil: // look again in a while
		next, ok = now.Add(cmp.Or(poll, storeRetry)), true
	case len(claims) == most: // more may be due
		next, ok = now, true
	case ok && !next.After(now):
		// Due, yet not claimed: its claim is lapsing. Look again soon,
		// not in a loop.
		next = now.Add(max(poll/20, time.Millisecond))
	}
	if poll > 0 && (!ok || next.After(now.Add(poll))) {
		next, ok = now.Add(poll), true
	}
	if ok {
		d.arm(next)
	}
}

// start runs the claimed attempt c: on a virtual clock from a timer due
// now (in turn, on the goroutine that advances it), on the wall clock
// through the workers.
func (d *Dispatcher) start(c Claim) {
	if d.work == nil {
		d.clock.AfterFunc(0, func() { d.run(c) })
		return
	}
	select {
	case d.work <- c:
	default: // cannot happen: what is queued is claimed, and claims fit in the slots
		go d.run(c)
		return
	}
	if d.countWorker() {
		go d.worker()
	}
}

// countWorker counts one more worker when fewer than the slots' worth
// are counted, and reports whether it did. The count never goes over,
// even for an instant: a start that saw it full relies on a counted
// worker to look at the queue again before it ends.
func (d *Dispatcher) countWorker() bool {
	for {
		w := d.workers.Load()
		if w >= int64(cap(d.work)) {
			return false
		}
		if d.workers.CompareAndSwap(w, w+1) {
			return true
		}
	}
}

// workerLinger is how long a worker waits for another attempt once none
// is queued, before it ends. Claims come in batches, so the queue
// empties between them: a worker that ended at once was started again
// for the next batch, and grew its stack again (2 µs an attempt in a
// burst). It is wall-clock time, as workers only run on the wall clock.
const workerLinger = 250 * time.Millisecond

// worker runs queued attempts until none has been queued for
// workerLinger, then ends: a burst is sent by at most the slots' worth
// of goroutines, each reusing its grown stack from one attempt to the
// next, where a goroutine per attempt grew one each time.
func (d *Dispatcher) worker() {
	var idle *time.Timer
	defer func() {
		if idle != nil {
			idle.Stop()
		}
	}()
	for {
		select {
		case c := <-d.work:
			d.run(c)
			continue
		default:
		}
		if idle == nil {
			idle = time.NewTimer(workerLinger)
		} else {
			idle.Reset(workerLinger)
		}
		select {
		case c := <-d.work:
			d.run(c)
			continue
		case <-idle.C:
		case <-d.done:
		}
		d.workers.Add(-1)
		// An attempt queued after the look above, by a start that
		// counted this worker as running, is this worker's to run,
		// unless a worker started meanwhile has taken its place.
		if len(d.work) == 0 || !d.countWorker() {
			return
		}
	}
}

// run makes the claimed attempt c (send checks that the dispatcher is
// not closed).
func (d *Dispatcher) run(c Claim) {
	rec, ok, err := d.store.Load(context.Background(), c.ID)
	if err != nil || !ok {
		d.release()
		return // a claim that lapses is tried again; there is no other
	}
	ps, err := d.compiledFor(rec)
	if err != nil {
		d.release()
		return
	}
	at := &inflight{rec: rec, ps: ps, from: c.TakenOverFrom}
	if d.sharing.Lease > 0 {
		at.release = d.holdClaim(c.ID)
	}
	d.due(at)
}

// reserveRoom is how many attempts a poll may claim: claimBatch, or on
// the wall clock as many as the free slots hold, counted busy at once.
// Polls run concurrently (each Fire may arm one): two that read the
// room before either counted its claims would both claim it.
func (d *Dispatcher) reserveRoom() int {
	if d.slots == nil {
		return claimBatch
	}
	for {
		busy := d.busy.Load()
		n := min(claimBatch, int64(cap(d.slots))-busy)
		if n <= 0 {
			return 0
		}
		if d.busy.CompareAndSwap(busy, busy+n) {
			return int(n)
		}
	}
}

// unreserve gives back n slots reserveRoom counted and the store did not
// fill, as release gives back one.
func (d *Dispatcher) unreserve(n int) {
	if d.slots == nil || n <= 0 {
		return
	}
	d.freed(d.busy.Add(-int64(n)))
}

// acquire counts a live attempt the rate limit held back, on its way
// again.
func (d *Dispatcher) acquire() {
	if d.slots != nil {
		d.busy.Add(1)
	}
}

// release says a claimed live attempt is over, or held back by the rate
// limit: when a poll found no room and there is now room for an eighth
// of the slots (a batch worth a look at the store), it polls now.
func (d *Dispatcher) release() {
	if d.slots == nil {
		return
	}
	d.freed(d.busy.Add(-1))
}

// freed polls now when a poll found no room and, busy being what is
// left counted, there is room for an eighth of the slots (a batch worth
// a look at the store).
func (d *Dispatcher) freed(busy int64) {
	if int64(cap(d.slots))-busy >= int64(max(cap(d.slots)/8, 1)) && d.starved.CompareAndSwap(true, false) {
		d.arm(d.clock.Now())
	}
}

// holdClaim renews the claim on id's attempt every third of the lease,
// on the dispatcher's clock, until the returned function is called.
func (d *Dispatcher) holdClaim(id string) func() {
	var mu sync.Mutex
	var timer clock.Timer
	stopped := false
	every := d.sharing.Lease / 3
	var tick func()
	tick = func() {
		select {
		case <-d.done:
			return
		default:
		}
		if held, err := d.store.Renew(context.Background(), id, d.clock.Now()); err == nil && !held {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			timer = d.clock.AfterFunc(every, tick)
		}
	}
	mu.Lock()
	timer = d.clock.AfterFunc(every, tick)
	mu.Unlock()
	// Released: the renewal due next is stopped, so no timer outlives the
	// attempt (a virtual clock goes idle).
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		timer.Stop()
	}
}
