package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/sandbox"
)

// bytesPerRememberedID is what the duplicate filter holds per
// outer_event_id of UUID length, rounded up (see docs/performance.md).
const bytesPerRememberedID = 128

// defaultMemoryBudget is --memory-budget when none is given: what one
// namespace holds at its caps (its journal at its byte budget, or its
// count of 4 KiB requests without one, and its duplicate filter at
// capacity), for all the namespaces together.
func defaultMemoryBudget(journalMaxBytes int64, journalCap, dedupCap int) int64 {
	kept := journalMaxBytes
	if kept == 0 { // no byte budget: bound the count by the body limit's typical share
		kept = int64(journalCap) * 4 << 10
	}
	return kept + int64(dedupCap)*bytesPerRememberedID
}

// memoryCeiling is the highest soft memory limit serve sets for a
// sandbox holding up to budget: a quarter more for the garbage collector
// to work in, and 64 MiB for the rest of the process, in whole MiB. No
// budget (0): no ceiling.
func memoryCeiling(budget int64) int64 {
	if budget <= 0 {
		return math.MaxInt64
	}
	limit := budget + budget/4 + 64<<20
	return (limit + 1<<20 - 1) &^ (1<<20 - 1)
}

// applyMemoryLimit sets the garbage collector's soft memory limit and
// returns the ceiling (0: none) and whether serve should track the
// process below it. A --memory-limit given on the command line, in the
// environment or in the config file is a fixed limit (0: none); so is
// GOMEMLIMIT, which the runtime has read already. Otherwise the limit
// tracks what the sandbox holds and what is live (trackMemory), under
// memoryCeiling(budget).
func applyMemoryLimit(given bool, value, budget int64) (ceiling int64, track bool) {
	switch {
	case given && value == 0:
		debug.SetMemoryLimit(math.MaxInt64)
		return 0, false
	case given:
		debug.SetMemoryLimit(value)
		return value, false
	case os.Getenv("GOMEMLIMIT") != "":
		if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
			return l, false
		}
		return 0, false
	}
	l := memoryCeiling(budget)
	debug.SetMemoryLimit(trackedLimit(0, liveFootprint(), l))
	return l, true
}

// memoryFloor is what trackedLimit leaves above the live heap at least:
// room for the runtime, the HTTP connections and an idle sandbox.
const memoryFloor = 24 << 20

// memoryHeadroom is the least room trackedLimit leaves the collector
// above what the sandbox holds, and above what is live: under load a
// request or an attempt allocates a few KB that live a moment, and a
// limit close to what is kept makes the collector run back to back,
// marking everything kept each time.
const memoryHeadroom = 48 << 20

// trackedLimit is the soft memory limit for a sandbox holding held bytes
// (its journals, filters and deliveries in this process) when the last
// collection found live bytes live: held plus a quarter of it (at least
// memoryHeadroom) for the collector to work in, under the ceiling; and
// never less than what is live plus a quarter of it (at least
// memoryHeadroom), plus the floor. The heap stays near what is kept
// instead of doubling it, as the collector's default pace lets it, while
// a busy sandbox collects a few times a second, not back to back; and the
// collector never chases a limit close to the live heap (with Redis
// holding the journals, many namespaces, or a burst of impact deliveries,
// it would run back to back).
func trackedLimit(held, live, ceiling int64) int64 {
	return max(min(held+max(held/4, memoryHeadroom), ceiling), live+max(live/4, memoryHeadroom)+memoryFloor)
}

// memorySamples are the runtime metrics liveFootprint reads.
var memorySamples = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
}

// liveFootprint is what the last collection found live, plus what the
// process holds outside the heap (goroutine stacks, the runtime's own
// structures): the soft limit counts both.
func liveFootprint() int64 {
	s := make([]metrics.Sample, len(memorySamples))
	for i, name := range memorySamples {
		s[i].Name = name
	}
	metrics.Read(s)
	v := make([]int64, len(s))
	for i := range s {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		v[i] = int64(s[i].Value.Uint64())
	}
	outside := v[1] - v[2] - v[3] - v[4] - v[5]
	return v[0] + max(outside, 0)
}

// trackMemory sets the soft memory limit from what sb holds and what is
// live after every collection and every second on c, until stop is
// closed. After every collection, because a burst of deliveries or
// requests grows the live heap faster than a second's tick follows: a
// limit left behind it makes the collector run back to back.
func trackMemory(sb *sandbox.Sandbox, ceiling int64, c clock.Clock, stop <-chan struct{}) {
	set := func() { debug.SetMemoryLimit(trackedLimit(sb.HeldBytes(), liveFootprint(), ceiling)) }
	var tick func()
	tick = func() {
		select {
		case <-stop:
			return
		default:
		}
		set()
		c.AfterFunc(time.Second, tick)
	}
	tick()
	afterEachCollection(stop, set)
}

// afterEachCollection calls f after every garbage collection, until stop
// is closed: a sentinel that nothing references is collected by the next
// cycle, and its cleanup (run on the runtime's cleanup goroutine) arms
// the next one before it calls f, so a collection that starts while f
// runs is seen too.
func afterEachCollection(stop <-chan struct{}, f func()) {
	var arm func(int)
	arm = func(int) {
		select {
		case <-stop:
			return
		default:
		}
		runtime.AddCleanup(new(gcSentinel), arm, 0)
		f()
	}
	runtime.AddCleanup(new(gcSentinel), arm, 0)
}

// gcSentinel is a heap object that only afterEachCollection allocates.
type gcSentinel struct{ _ [16]byte }
