package main

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/sandbox"
)

// TestMemoryLimit: a given --memory-limit wins (0: none), then
// GOMEMLIMIT, then a limit that tracks the sandbox under the ceiling
// derived from the budget, in memory and with Redis alike.
func TestMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	budget := defaultMemoryBudget(256<<20, 100_000, 1_000_000)
	if c := memoryCeiling(budget); c != 537<<20 {
		t.Errorf("ceiling for the default caps: %d MiB, want 537 MiB (1.25 × (256 MiB + 1M ids × 128 B) + 64 MiB)", c>>20)
	}
	if got := defaultMemoryBudget(0, 1000, 0); got != 1000*4<<10 {
		t.Errorf("no byte budget: %d", got)
	}
	if memoryCeiling(0) != math.MaxInt64 {
		t.Error("no budget: want no ceiling")
	}
	t.Setenv("GOMEMLIMIT", "")
	if got, track := applyMemoryLimit(false, 0, budget); got != 537<<20 || !track || debug.SetMemoryLimit(-1) >= 537<<20 {
		t.Errorf("default: returned %d (track %v), runtime has %d, want the ceiling returned, tracked, the runtime's under it", got, track, debug.SetMemoryLimit(-1))
	}
	if got, track := applyMemoryLimit(true, 300<<20, budget); got != 300<<20 || track || debug.SetMemoryLimit(-1) != 300<<20 {
		t.Errorf("given: %d (track %v)", got, track)
	}
	if got, track := applyMemoryLimit(true, 0, budget); got != 0 || track || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Errorf("given 0: %d (track %v), runtime %d", got, track, debug.SetMemoryLimit(-1))
	}
	debug.SetMemoryLimit(123 << 20) // as the runtime does at start with GOMEMLIMIT=123MiB
	t.Setenv("GOMEMLIMIT", "123MiB")
	if got, track := applyMemoryLimit(false, 0, budget); got != 123<<20 || track {
		t.Errorf("GOMEMLIMIT: %d (track %v)", got, track)
	}
}

// TestTrackedLimit: the limit follows what the sandbox holds, with a
// quarter of it (at least 48 MiB) for the collector, under the ceiling; and never
// below a quarter over the live heap, whatever the ceiling (no GC spiral).
func TestTrackedLimit(t *testing.T) {
	for _, c := range []struct{ held, live, ceiling, want int64 }{
		{0, 0, 537 << 20, memoryHeadroom + memoryFloor},
		{100 << 20, 0, 537 << 20, 100<<20 + memoryHeadroom},
		{300 << 20, 0, 537 << 20, 375 << 20},
		{1 << 30, 0, 537 << 20, 537 << 20},
		{0, 80 << 20, 537 << 20, 80<<20 + memoryHeadroom + memoryFloor}, // Redis: nothing held, 80 MiB live
		{0, 800 << 20, 537 << 20, 1000<<20 + memoryFloor},
		{300 << 20, 320 << 20, 537 << 20, 400<<20 + memoryFloor}, // a burst of deliveries above what is held
	} {
		if got := trackedLimit(c.held, c.live, c.ceiling); got != c.want {
			t.Errorf("trackedLimit(%d MiB held, %d MiB live, %d MiB) = %d MiB, want %d MiB", c.held>>20, c.live>>20, c.ceiling>>20, got>>20, c.want>>20)
		}
	}
}

// TestAfterEachCollection: the hook runs after every collection, not on
// a timer, and no more once stopped.
func TestAfterEachCollection(t *testing.T) {
	var calls atomic.Int32
	stop := make(chan struct{})
	afterEachCollection(stop, func() { calls.Add(1) })
	for i := int32(1); i <= 3; i++ {
		runtime.GC()
		deadline := time.Now().Add(5 * time.Second)
		for calls.Load() < i && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // real time: the runtime's cleanup goroutine runs it
		}
		if got := calls.Load(); got != i {
			t.Fatalf("after %d collections: %d calls", i, got)
		}
	}
	close(stop)
	runtime.GC() // the sentinel armed before stop runs once more and sees it
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if got := calls.Load(); got != 3 {
		t.Errorf("after stop: %d calls, want 3", got)
	}
}

// TestTrackMemoryFollowsTheSandbox: on the clock's ticks the limit moves
// with the journal, and stops moving once told to stop.
func TestTrackMemoryFollowsTheSandbox(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	sb := sandbox.New(sandbox.Config{})
	defer sb.Close()
	vc := clock.NewVirtual(time.Time{})
	stop := make(chan struct{})
	trackMemory(sb, 1<<40, vc, stop)
	if got := debug.SetMemoryLimit(-1); got != trackedLimit(0, liveFootprint(), 1<<40) {
		t.Fatalf("idle sandbox: limit %d, want %d", got, trackedLimit(0, liveFootprint(), 1<<40))
	}
	hs := httptest.NewServer(sb)
	defer hs.Close()
	for i := range 50 {
		resp, err := http.Post(hs.URL+"/track/activate/", "application/json", strings.NewReader(fmt.Sprintf(`{"callback":"c","idfa":"i","event_type":2,"outer_event_id":"e%d","pad":"%s"}`, i, strings.Repeat("x", 4000))))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	vc.Advance(time.Second)
	held := sb.HeldBytes()
	if got := debug.SetMemoryLimit(-1); held < 200_000 || got != trackedLimit(held, liveFootprint(), 1<<40) {
		t.Fatalf("after 50 requests of 4 KB: limit %d, want trackedLimit(%d)", got, held)
	}
	close(stop)
	vc.Advance(time.Second)
	debug.SetMemoryLimit(7 << 30)
	vc.Advance(5 * time.Second)
	if got := debug.SetMemoryLimit(-1); got != 7<<30 {
		t.Errorf("after stop the limit still moves: %d", got)
	}
}
