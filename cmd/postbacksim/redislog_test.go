package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
)

// TestRedisLogOncePerMinute: the Redis client's repeated message is one
// line a minute of the clock, "redis: " once, and the minute's repeats
// are one more line with their count; another message has its own lines.
func TestRedisLogOncePerMinute(t *testing.T) {
	var logs syncBuffer
	vc := clock.NewVirtual(time.Time{})
	l := newRedisLog(slog.New(slog.NewTextHandler(&logs, nil)), vc)
	ctx := context.Background()
	dial := func(port string) {
		l.Printf(ctx, "redis: connection pool: failed to dial after %d attempts: %v", 5, errors.New("dial tcp 127.0.0.1:"+port+": connect: connection refused"))
	}
	lines := func() []string {
		out := strings.Split(strings.TrimSpace(logs.String()), "\n")
		logs.mu.Lock()
		logs.b.Reset()
		logs.mu.Unlock()
		if len(out) == 1 && out[0] == "" {
			return nil
		}
		return out
	}
	for range 240 { // a minute of an outage, 4 a second
		dial("6379")
	}
	l.Printf(ctx, "pubsub: %s", "another message")
	got := lines()
	if len(got) != 2 || !strings.Contains(got[0], `level=WARN msg="redis: connection pool: failed to dial after 5 attempts: dial tcp 127.0.0.1:6379: connect: connection refused"`) ||
		!strings.Contains(got[1], `msg="redis: pubsub: another message"`) {
		t.Fatalf("a message 240 times and another once: %q; want one line each", got)
	}
	dial("6380") // differs in its numbers only: a repeat
	vc.Advance(redisLogEvery - time.Nanosecond)
	if got := lines(); len(got) != 0 {
		t.Fatalf("within the minute: %q; want nothing", got)
	}
	vc.Advance(time.Nanosecond)
	got = lines()
	if len(got) != 1 || !strings.Contains(got[0], `msg="redis: connection pool: failed to dial after 5 attempts: dial tcp 127.0.0.1:6380: connect: connection refused" repeated=240 over=1m0s`) {
		t.Fatalf("at the minute: %q; want the last repeat with the count", got)
	}
	dial("6379")
	vc.Advance(redisLogEvery)
	if got := lines(); len(got) != 1 || !strings.Contains(got[0], "repeated=1 ") {
		t.Fatalf("the second minute: %q; want its one repeat", got)
	}
	vc.Advance(redisLogEvery) // a minute without: the window closes
	if got := lines(); len(got) != 0 {
		t.Fatalf("a quiet minute: %q; want nothing", got)
	}
	dial("6379")
	if got := lines(); len(got) != 1 || strings.Contains(got[0], "repeated") || strings.Contains(got[0], "redis: redis:") {
		t.Fatalf("after a quiet minute: %q; want the message at once, as it came", got)
	}
}
