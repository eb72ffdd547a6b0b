package main

import (
	"math"
	"os"
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
	debug.SetMemoryLimit(trackedLimit(0, liveHeap(), l))
	return l, true
}

// memoryFloor is what trackedLimit leaves above the live heap at least:
// room for the runtime, the HTTP connections and an idle sandbox.
const memoryFloor = 24 << 20

// memoryHeadroom is the least room trackedLimit leaves the collector
// above what the sandbox holds: under load a request allocates a few KB
// that live a moment, and a limit close to what is held makes the
// collector run ten times a second, marking the whole journal each time.
const memoryHeadroom = 48 << 20

// trackedLimit is the soft memory limit for a sandbox holding held bytes
// (its journals, filters and deliveries in this process) when the last
// collection found live bytes live: held plus a quarter of it (at least
// memoryHeadroom) for the collector to work in, under the ceiling; and
// never less than a quarter over what is live, plus the floor. The heap
// stays near what is kept instead of doubling it, as the collector's
// default pace lets it, while a busy sandbox collects about five times
// a second, not ten; and the collector never chases a limit below the live
// heap (with Redis holding the journals, or many namespaces, it would
// run back to back).
func trackedLimit(held, live, ceiling int64) int64 {
	return max(min(held+max(held/4, memoryHeadroom), ceiling), live+live/4+memoryFloor)
}

// liveHeap is the heap the last collection found live.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// trackMemory sets the soft memory limit from what sb holds and what is
// live, every second on c, until stop is closed.
func trackMemory(sb *sandbox.Sandbox, ceiling int64, c clock.Clock, stop <-chan struct{}) {
	var tick func()
	tick = func() {
		select {
		case <-stop:
			return
		default:
		}
		debug.SetMemoryLimit(trackedLimit(sb.HeldBytes(), liveHeap(), ceiling))
		c.AfterFunc(time.Second, tick)
	}
	tick()
}
