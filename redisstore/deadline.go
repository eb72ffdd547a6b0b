package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/store"
)

// A command the client gave up on (its read timeout passed: the request
// was answered 503) can still be waiting on Redis's socket, and Redis
// runs it when it resumes from a pause. So the scripts that change state
// for a request carry a deadline in Redis's own time (TIME), and decline
// the work when they start past it: a request answered 503 never takes
// effect later. The deadline is the moment the command was sent plus
// scriptBudget, on Redis's clock: this process measures how far Redis's
// clock is from its own (redisClock), so the two clocks need not agree.

// scriptBudget is how long after it was sent a script may still start:
// the client's read timeout minus the time the answer needs to come
// back before it.
const scriptBudget = readTimeout - 500*time.Millisecond

// readTimeout is the client's: a command unanswered this long fails.
const readTimeout = 2 * time.Second

// clockResync is how often the offset between the clocks is measured
// again.
const clockResync = 30 * time.Second

// errPastDeadline is the error of a script that declined its work.
var errPastDeadline = errors.New("redis ran the command after the request had been answered 503: nothing was recorded")

// redisClock knows the offset of Redis's clock from this process's wall
// clock.
type redisClock struct {
	s        *Store
	mu       sync.Mutex
	offset   time.Duration // Redis's time minus ours
	measured time.Time     // when, on our clock; zero: never
	now      func() time.Time
}

// deadline returns the deadline, in µs of Redis's clock, of a script sent
// now; it measures the clocks' offset first when it is not known or is
// old.
func (c *redisClock) deadline(ctx context.Context) (int64, error) {
	now := c.now()
	c.mu.Lock()
	stale := c.measured.IsZero() || now.Sub(c.measured) > clockResync
	c.mu.Unlock()
	if stale {
		if err := c.measure(ctx); err != nil {
			return 0, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return now.Add(c.offset + scriptBudget).UnixMicro(), nil
}

// measure reads Redis's TIME and sets the offset: Redis's time minus the
// middle of the round trip.
func (c *redisClock) measure(ctx context.Context) error {
	before := c.now()
	t, err := c.s.client.Time(ctx).Result()
	after := c.now()
	if err != nil {
		return store.Unavailable("reading redis's clock", err)
	}
	mid := before.Add(after.Sub(before) / 2)
	c.mu.Lock()
	c.offset, c.measured = t.Sub(mid), after
	c.mu.Unlock()
	return nil
}
