package inspector

import (
	"sync"

	"github.com/postbacksim/postbacksim/internal/ring"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// DefaultFeedCapacity is how many impact attempts a Feed keeps for
// streams that resume.
const DefaultFeedCapacity = 4096

// Feed numbers a namespace's impact attempts for the stream: the sandbox
// adds each one from the dispatcher's OnAttempt hook; readers take
// Changed, read Since their last number, and wait when nothing is new.
// Safe for concurrent use.
type Feed struct {
	mu      sync.Mutex
	buf     *ring.Buffer[SeqAttempt]
	seq     uint64
	changed chan struct{} // made by the first reader to wait, closed by the next Add
}

// SeqAttempt is an attempt with its number in the feed.
type SeqAttempt struct {
	Seq uint64
	mockimpact.Attempt
}

// NewFeed returns a feed keeping the last capacity attempts (0:
// DefaultFeedCapacity).
func NewFeed(capacity int) *Feed {
	if capacity <= 0 {
		capacity = DefaultFeedCapacity
	}
	return &Feed{buf: ring.New[SeqAttempt](capacity)}
}

// Add numbers a and wakes the readers.
func (f *Feed) Add(a mockimpact.Attempt) {
	f.mu.Lock()
	f.seq++
	f.buf.Add(SeqAttempt{Seq: f.seq, Attempt: a})
	if f.changed != nil {
		close(f.changed)
		f.changed = nil // no channel is made while nobody waits
	}
	f.mu.Unlock()
}

// Changed returns a channel closed at the next Add.
func (f *Feed) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changed == nil {
		f.changed = make(chan struct{})
	}
	return f.changed
}

// Last is the number of the latest attempt (0: none yet).
func (f *Feed) Last() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq
}

// Since returns the kept attempts numbered after seq, oldest first, and
// whether some after seq were no longer kept.
func (f *Feed) Since(seq uint64) (out []SeqAttempt, gap bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seq <= seq {
		return nil, false
	}
	k := f.seq - seq
	if k > uint64(f.buf.Len()) {
		k, gap = uint64(f.buf.Len()), true
	}
	return f.buf.Tail(int(k)), gap
}
