package sandbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/clock"
)

// storeCheckEvery is how often, on the sandbox's clock, the sandbox asks
// its store (Redis) whether it answers, as /readyz does, to log when it
// stops and when it answers again.
const storeCheckEvery = time.Second

// storeWatch logs the outages of the sandbox's store: one warning when a
// check first finds it unavailable (with the error), one line when a
// check finds it available again (with how long it was not). The checks
// are the sandbox's own, every storeCheckEvery, and those of /readyz
// (Sandbox.Ready): the log and /readyz agree. Each request that fails
// meanwhile answers 503 and is logged as such; the outage is one line.
type storeWatch struct {
	log   *slog.Logger
	clock clock.Clock
	check func(context.Context) error

	mu      sync.Mutex
	started uint64    // checks started
	turned  uint64    // the check whose result last changed the state
	down    bool      // the last check that counted failed
	since   time.Time // when the store was first found down, on clock
	timer   clock.Timer
	stopped bool
}

// startStoreWatch checks sb's store every storeCheckEvery from now on,
// until stop.
func startStoreWatch(sb *Sandbox) *storeWatch {
	w := &storeWatch{log: sb.cfg.Logger, clock: sb.clock, check: sb.cfg.Store.Ping}
	w.mu.Lock()
	w.timer = w.clock.AfterFunc(storeCheckEvery, w.tick)
	w.mu.Unlock()
	return w
}

// tick checks the store and schedules the next check.
func (w *storeWatch) tick() {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	w.run(ctx)
	cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.timer = w.clock.AfterFunc(storeCheckEvery, w.tick)
	}
}

// run makes one check and logs what changed. A check that ends after a
// later one changed the state does not count: its answer is older.
func (w *storeWatch) run(ctx context.Context) error {
	w.mu.Lock()
	w.started++
	n := w.started
	w.mu.Unlock()
	err := w.check(ctx)
	now := w.clock.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if n < w.turned || (err != nil) == w.down {
		return err
	}
	w.turned = n
	if err != nil {
		w.down, w.since = true, now
		w.log.Warn("state store unavailable", "error", err.Error())
		return err
	}
	w.down = false
	w.log.Info("state store available again", "down_for", now.Sub(w.since))
	return nil
}

// stop ends the checks; a nil watch (none started) is fine.
func (w *storeWatch) stop() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
}
