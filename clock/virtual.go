package clock

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Epoch is the default start of a Virtual clock: a fixed instant, so that
// simulated runs print the same times on every machine.
var Epoch = time.Date(2026, time.April, 8, 9, 0, 0, 0, time.UTC)

// Virtual is a manually driven clock for discrete-event simulation. Time
// stands still until Advance, AdvanceTo or RunUntilIdle moves it; timers
// then fire in order of due time (ties in the order they were scheduled),
// each seeing Now() equal to its own due time. Callbacks run synchronously
// on the goroutine that advances the clock and may schedule further timers.
//
// Sleep blocks the calling goroutine until another goroutine advances the
// clock past the deadline. Virtual is safe for concurrent use.
type Virtual struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	pending timerHeap
	// running guards against re-entrant advancing from inside a callback.
	running bool
	// scheduled is closed (and replaced) whenever a timer is added.
	scheduled chan struct{}
}

// NewVirtual returns a Virtual clock set to start; the zero time means Epoch.
func NewVirtual(start time.Time) *Virtual {
	if start.IsZero() {
		start = Epoch
	}
	return &Virtual{now: start, scheduled: make(chan struct{})}
}

// Scheduled returns a channel that is closed the next time a timer is
// scheduled (AfterFunc or Sleep), so a driver can wait for another
// goroutine to schedule work instead of polling. Take the channel before
// checking Next, so no timer can slip in between.
func (v *Virtual) Scheduled() <-chan struct{} {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.scheduled == nil {
		v.scheduled = make(chan struct{})
	}
	return v.scheduled
}

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// AfterFunc schedules f at Now()+d. A d ≤ 0 fires on the next advance
// (including Advance(0)).
func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	v.mu.Lock()
	defer v.mu.Unlock()
	if d < 0 {
		d = 0
	}
	v.seq++
	t := &virtualTimer{clock: v, due: v.now.Add(d), seq: v.seq, f: f, index: -1}
	heap.Push(&v.pending, t)
	if v.scheduled != nil {
		close(v.scheduled)
	}
	v.scheduled = make(chan struct{})
	return t
}

// Sleep blocks until the clock has been advanced by d, or ctx is done.
func (v *Virtual) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	done := make(chan struct{})
	t := v.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

// Pending reports how many timers are scheduled.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.pending)
}

// Next reports the due time of the earliest pending timer.
func (v *Virtual) Next() (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.pending) == 0 {
		return time.Time{}, false
	}
	return v.pending[0].due, true
}

// Advance moves the clock forward by d, firing every timer that falls due
// on the way, and returns the number fired.
func (v *Virtual) Advance(d time.Duration) int {
	return v.AdvanceTo(v.Now().Add(d))
}

// AdvanceTo moves the clock to t (never backwards), firing due timers in
// order, and returns the number fired.
func (v *Virtual) AdvanceTo(t time.Time) int {
	return v.run(func(due time.Time) bool { return !due.After(t) }, t)
}

// RunUntilIdle fires timers in order, jumping the clock to each one's due
// time, until none is pending, and returns the number fired. limit bounds
// the number of callbacks (0 means no bound) so a timer that always
// reschedules itself cannot loop forever.
func (v *Virtual) RunUntilIdle(limit int) int {
	n := 0
	return v.run(func(time.Time) bool {
		n++
		return limit <= 0 || n <= limit
	}, time.Time{})
}

func (v *Virtual) run(take func(due time.Time) bool, end time.Time) int {
	v.mu.Lock()
	if v.running {
		v.mu.Unlock()
		panic("clock: Virtual advanced from inside one of its own callbacks")
	}
	v.running = true
	fired := 0
	for len(v.pending) > 0 && take(v.pending[0].due) {
		t := heap.Pop(&v.pending).(*virtualTimer)
		if t.due.After(v.now) {
			v.now = t.due
		}
		v.mu.Unlock()
		t.f()
		fired++
		v.mu.Lock()
	}
	if end.After(v.now) {
		v.now = end
	}
	v.running = false
	v.mu.Unlock()
	return fired
}

type virtualTimer struct {
	clock *Virtual
	due   time.Time
	seq   uint64
	f     func()
	index int
}

// Stop removes the timer if it is still pending.
func (t *virtualTimer) Stop() bool {
	v := t.clock
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&v.pending, t.index)
	return true
}

type timerHeap []*virtualTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*virtualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}
