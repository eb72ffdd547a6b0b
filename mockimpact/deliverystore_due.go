package mockimpact

import (
	"container/heap"
	"time"
)

// dueQueue holds the attempts of a MemoryDeliveries that wait for their
// due time: earliest first, ties in the order they were scheduled.
// Attempts scheduled one after another for the same time (events fired
// at once on a virtual clock, the retries of attempts that failed
// together) share a run, and the heap orders runs: such a burst costs one
// heap operation, not one an attempt. An attempt scheduled again (moved
// by RetryNow) or taken out (Stop) leaves its entry behind, skipped when
// reached.
type dueQueue struct {
	runs  runHeap
	last  *dueRun // the run scheduled into last, while in the heap
	ticks uint64  // counts the attempts scheduled
}

// dueRun is attempts due at the same time, in the order scheduled.
type dueRun struct {
	due     time.Time
	tick    uint64 // its first attempt's
	entries []dueEntry
	head    int         // the entries before it are taken
	index   int         // in the heap; -1 once out
	one     [1]dueEntry // entries' array while it has one (on the wall clock, most runs)
}

// dueEntry is an attempt as scheduled: tick is e.tick then.
type dueEntry struct {
	e    *memoryDelivery
	tick uint64
}

// push schedules e's next attempt at t.
func (q *dueQueue) push(e *memoryDelivery, t time.Time) {
	q.ticks++
	e.waiting, e.due, e.tick = true, t, q.ticks
	if r := q.last; r != nil && r.index >= 0 && r.due.Equal(t) {
		r.entries = append(r.entries, dueEntry{e, q.ticks})
		return
	}
	r := &dueRun{due: t, tick: q.ticks, one: [1]dueEntry{{e, q.ticks}}}
	r.entries = r.one[:]
	heap.Push(&q.runs, r)
	q.last = r
}

// peek returns the first attempt waiting, if any.
func (q *dueQueue) peek() (*memoryDelivery, bool) {
	for len(q.runs) > 0 {
		r := q.runs[0]
		for ; r.head < len(r.entries); r.head++ {
			if x := r.entries[r.head]; x.e.waiting && x.e.tick == x.tick {
				return x.e, true
			}
			r.entries[r.head] = dueEntry{}
		}
		heap.Pop(&q.runs)
	}
	return nil, false
}

// pop takes the first attempt waiting; peek has said there is one.
func (q *dueQueue) pop() *memoryDelivery {
	e, _ := q.peek()
	r := q.runs[0]
	r.entries[r.head] = dueEntry{}
	r.head++
	e.waiting = false
	return e
}

// clear takes every attempt out.
func (q *dueQueue) clear() {
	for _, r := range q.runs {
		for _, x := range r.entries[r.head:] {
			x.e.waiting = false
		}
		r.index = -1
	}
	q.runs, q.last = nil, nil
}

// runHeap orders runs by due time, ties by when their first attempt was
// scheduled.
type runHeap []*dueRun

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].tick < h[j].tick
}
func (h runHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *runHeap) Push(x any) {
	r := x.(*dueRun)
	r.index = len(*h)
	*h = append(*h, r)
}
func (h *runHeap) Pop() any {
	old := *h
	n := len(old)
	r := old[n-1]
	old[n-1] = nil
	r.index = -1
	*h = old[:n-1]
	return r
}
