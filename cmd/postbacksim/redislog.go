package main

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/clock"
)

// redisLogEvery is how often one message of the Redis client may reach
// the log: during an outage the client repeats itself several times a
// second.
const redisLogEvery = time.Minute

// redisLogKinds bounds the distinct messages redisLog holds back at
// once; past it, the others share one window.
const redisLogKinds = 256

// redisLog sends the Redis client's own messages (a lost connection, a
// pool that cannot dial) to serve's log, as warnings: a message is
// logged when it first comes, and its repeats in the redisLogEvery (on
// the clock) that follows are not; if there were any, the window ends
// with one line, the last repeat's text with "repeated" (how many
// repeats came), and a new window opens. Repeats differ in their numbers
// only. The client starts some of its messages with "redis: ": the log's
// line has it once.
type redisLog struct {
	log   *slog.Logger
	clock clock.Clock

	mu   sync.Mutex
	open map[string]*redisWindow // by message, its numbers left out

	// writing is held (read) while a line is written; stop takes it to
	// set stopped: the client's goroutines may outlive serve (a dial
	// under way), and serve's log must not be written after it returns.
	writing sync.RWMutex
	stopped bool
}

// stop makes the log drop every message from now on, once the lines
// being written are.
func (l *redisLog) stop() {
	l.writing.Lock()
	l.stopped = true
	l.writing.Unlock()
}

// warn writes one line, unless stopped.
func (l *redisLog) warn(ctx context.Context, msg string, args ...any) {
	l.writing.RLock()
	defer l.writing.RUnlock()
	if !l.stopped {
		l.log.WarnContext(ctx, msg, args...)
	}
}

// redisWindow is a message logged less than redisLogEvery ago.
type redisWindow struct {
	last     string // the text of its last repeat
	repeated int    // repeats held back
}

func newRedisLog(l *slog.Logger, c clock.Clock) *redisLog {
	return &redisLog{log: l, clock: c, open: map[string]*redisWindow{}}
}

// digitsRE matches what varies between repeats of one message: counts,
// connection ids, ports.
var digitsRE = regexp.MustCompile(`[0-9]+`)

// Printf logs one message of the Redis client, unless it is a repeat.
func (l *redisLog) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	msg = "redis: " + strings.TrimPrefix(msg, "redis: ")
	key := digitsRE.ReplaceAllString(msg, "#")
	l.mu.Lock()
	if _, ok := l.open[key]; !ok && len(l.open) >= redisLogKinds {
		key = "" // too many at once: the rest share a window
	}
	if w, ok := l.open[key]; ok {
		w.last = msg
		w.repeated++
		l.mu.Unlock()
		return
	}
	w := &redisWindow{}
	l.open[key] = w
	l.mu.Unlock()
	l.warn(ctx, msg)
	l.clock.AfterFunc(redisLogEvery, func() { l.close(key, w) })
}

// close ends the window of message key: its last repeat is logged, with
// how many came, and the next window opens; a window without repeats
// closes for good.
func (l *redisLog) close(key string, w *redisWindow) {
	l.mu.Lock()
	n, last := w.repeated, w.last
	if n == 0 {
		delete(l.open, key)
		l.mu.Unlock()
		return
	}
	w.repeated = 0
	l.mu.Unlock()
	l.warn(context.Background(), last, "repeated", n, "over", redisLogEvery)
	l.clock.AfterFunc(redisLogEvery, func() { l.close(key, w) })
}
