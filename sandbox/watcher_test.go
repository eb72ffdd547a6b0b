package sandbox

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// impactClosed reports whether t's dispatcher is closed (Fire says so).
func impactClosed(t *testing.T, tn *Tenant) bool {
	t.Helper()
	_, err := tn.Impact.Fire(t.Context(), mustEvent(t, "action_lifecycle"))
	return errors.Is(err, mockimpact.ErrClosed)
}

// waitRounds waits until sb has done (or, with started, begun) round n
// of its shared checks.
func waitRounds(t *testing.T, sb *Sandbox, n int64, started bool) {
	t.Helper()
	guard := time.After(10 * time.Second) // real time: a guard against a hang
	for {
		s, d, ch := sb.checkRounds()
		if started && s >= n || !started && d >= n {
			return
		}
		select {
		case <-ch:
		case <-guard:
			t.Fatalf("waited 10 s for round %d of the shared checks (started %d, done %d)", n, s, d)
		}
	}
}

// waitMoreRounds waits until sb has done n more rounds of its shared
// checks: what a round would say, it has said.
func waitMoreRounds(t *testing.T, sb *Sandbox, n int64) {
	t.Helper()
	_, done, _ := sb.checkRounds()
	waitRounds(t, sb, done+n, false)
}

// TestWatcherOpensNoNamespaceAfterClose: a check of the shared
// namespaces that was under way when Close ran must not open a
// namespace (a dispatcher polling Redis, claiming attempts) after it.
func TestWatcherOpensNoNamespaceAfterClose(t *testing.T) {
	rs := redistest.Start(t)
	a, _ := redisReplica(t, rs, Config{ReplicaID: "a"})
	b, _ := redisReplica(t, rs, Config{ReplicaID: "b"})
	waitRounds(t, a, 1, false)
	if _, err := b.CreateNamespace(context.Background(), "late", ""); err != nil {
		t.Fatal(err)
	}
	// Redis holds every client for 1.5 s: a's next check (within a
	// second) waits in the middle.
	if _, err := rs.Do("CLIENT", "PAUSE", "1500", "ALL"); err != nil {
		t.Fatal(err)
	}
	_, done, _ := a.checkRounds()
	waitRounds(t, a, done+1, true) // under way, held by the pause
	a.Close()
	waitRounds(t, a, done+1, false) // the pause is over: the check ends
	a.mu.Lock()
	tn := a.tenantMap()["late"]
	a.mu.Unlock()
	if tn != nil && !impactClosed(t, tn) {
		tn.Impact.Close()
		t.Fatal("namespace late was opened after Close, its dispatcher running (polling Redis, claiming attempts)")
	}
}

// hookClock is a sandbox clock whose every reading is one millisecond
// after the last, calling onNow (after the reading is taken); its timers
// never fire.
type hookClock struct {
	mu    sync.Mutex
	n     int64
	onNow func()
}

func (c *hookClock) Now() time.Time {
	c.mu.Lock()
	c.n++
	v := clock.Epoch.Add(time.Duration(c.n) * time.Millisecond)
	h := c.onNow
	c.mu.Unlock()
	if h != nil {
		h()
	}
	return v
}

// hook makes f (nil: nothing) run after each reading.
func (c *hookClock) hook(f func()) {
	c.mu.Lock()
	c.onNow = f
	c.mu.Unlock()
}

// hookedReplica starts a replica on a hookClock, lets its watcher's
// first check finish (the clock's timers never fire, so it is the last),
// and creates namespace ns on it.
func hookedReplica(t *testing.T, rs *redistest.Server, ns string) (*Sandbox, *hookClock) {
	t.Helper()
	hc := &hookClock{}
	a, _ := redisReplica(t, rs, Config{ReplicaID: "a", Clock: hc})
	waitRounds(t, a, 1, false) // the first check is done; its timer never fires
	if _, err := a.CreateNamespace(context.Background(), ns, ""); err != nil {
		t.Fatal(err)
	}
	return a, hc
}

func (c *hookClock) AfterFunc(time.Duration, func()) clock.Timer {
	return clock.NewVirtual(time.Time{}).AfterFunc(time.Hour, func() {})
}

func (c *hookClock) Sleep(ctx context.Context, d time.Duration) error {
	return clock.Real{}.Sleep(ctx, d)
}

// TestWatcherKeepsANamespaceJustCreated: the watcher reads the
// namespaces in Redis; one this replica creates just after that read
// (its creation began a moment before the watcher's check) must not be
// closed as "deleted elsewhere".
func TestWatcherKeepsANamespaceJustCreated(t *testing.T) {
	rs := redistest.Start(t)
	a, hc := hookedReplica(t, rs, "other")
	var calls atomic.Int32
	namesRead, release, synced := make(chan struct{}), make(chan struct{}), make(chan struct{})
	hc.hook(func() {
		switch calls.Add(1) {
		case 1: // createShared has read the clock: a check begins
			go func() { a.syncNamespaces(); close(synced) }()
			<-namesRead
		case 3: // the check has read the names (adopting "other")
			close(namesRead)
			<-release
		}
	})
	fresh, err := a.CreateNamespace(context.Background(), "fresh", "")
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	<-synced
	hc.hook(nil)
	a.mu.Lock()
	now := a.tenantMap()["fresh"]
	a.mu.Unlock()
	if now != fresh || impactClosed(t, fresh) {
		t.Fatalf("namespace fresh, just created, was dropped by the check that began before (open: %p, created: %p)", now, fresh)
	}
}

// TestRestartedReplicaIsNoTwin: a replica stopped (Close) and
// started again at once with the same --replica-id (a container restart:
// the same host name, PID 1) is not "another running replica".
func TestRestartedReplicaIsNoTwin(t *testing.T) {
	rs := redistest.Start(t)
	a, _ := redisReplica(t, rs, Config{ReplicaID: "same"})
	waitRounds(t, a, 1, false) // a's heartbeat is written
	a.Close()
	var logs syncBuffer
	b, _ := redisReplica(t, rs, Config{ReplicaID: "same", Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	waitRounds(t, b, 2, false) // two heartbeats: a twin would have been seen
	for _, l := range logs.lines(t) {
		if msg, _ := l["msg"].(string); strings.Contains(msg, "another running replica") {
			t.Fatalf("the restarted replica was told of a twin: %v", l)
		}
	}
}

// TestWatcherDoesNotReopenADeletedNamespace: a namespace deleted
// on this replica after the watcher read the names is not opened again
// from that stale list (served for a second, its keys written again in
// Redis for nobody).
func TestWatcherDoesNotReopenADeletedNamespace(t *testing.T) {
	rs := redistest.Start(t)
	a, hc := hookedReplica(t, rs, "gone")
	var calls atomic.Int32
	namesRead, release, synced := make(chan struct{}), make(chan struct{}), make(chan struct{})
	hc.hook(func() {
		if calls.Add(1) == 2 { // the check has read the names (adopting "gone")
			close(namesRead)
			<-release
		}
	})
	go func() { a.syncNamespaces(); close(synced) }()
	<-namesRead
	if err := a.DeleteNamespace(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}
	close(release)
	<-synced
	hc.hook(nil)
	if tn := a.lookup("gone"); tn != nil {
		t.Fatalf("namespace gone, deleted, is open again: %+v", tn.Name)
	}
}
