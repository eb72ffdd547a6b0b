package mockocean

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/internal/ring"
	"github.com/postbacksim/postbacksim/store"
)

// Request is one journal entry: a request to /track/activate/ and the
// answer it got.
type Request struct {
	// Seq numbers requests from 1 in arrival order (reset by Reset).
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// API is APIV2 for a request to /api/v2/conversion; empty for
	// /track/activate/ (APITrack in filters).
	API string `json:"api,omitempty"`
	// RequestID is the request_id a v2 answer carried (empty for the
	// legacy API, whose answers have none).
	RequestID string `json:"request_id,omitempty"`
	// Signature and RS256Token are a v2 request's x-signature and
	// x-rs256-token headers as sent; Debug says it came with
	// X-Debug-Mode: 1, AppAccessToken that it carried an App-Access-Token
	// (whose value is not kept).
	Signature      string `json:"signature,omitempty"`
	RS256Token     string `json:"rs256_token,omitempty"`
	Debug          bool   `json:"debug,omitempty"`
	AppAccessToken bool   `json:"app_access_token,omitempty"`

	Method      string `json:"method"`
	Path        string `json:"path"`
	ContentType string `json:"content_type,omitempty"`
	RemoteAddr  string `json:"remote_addr,omitempty"`
	// Query and Body are the query string and the body as received
	// (Body empty when it was not read: over MaxBodyBytes, or cut short),
	// so that the request can be sent again exactly (ocean export).
	Query string `json:"query,omitempty"`
	Body  string `json:"body,omitempty"`
	// Params are the decoded parameters as received.
	Params map[string]string `json:"params"`

	// Status is the HTTP status answered; 0 when an injected fault dropped
	// the connection.
	Status int `json:"status"`
	// Answered reports that the request got an Ocean answer,
	// {"code":…,"ret":…,"msg":…}: a validation result or an injected
	// code/msg fault. It is false for transport answers (413, an injected
	// HTTP status, a malformed body, a dropped connection); Code and Msg
	// are then zero and mean nothing, and the JSON form leaves them out
	// (code 0 would say success).
	Answered bool `json:"-"`
	// Code and Msg are the Ocean answer when Answered.
	Code int    `json:"-"`
	Msg  string `json:"-"`
	// Detail says precisely why the request was rejected.
	Detail string `json:"detail,omitempty"`
	// Warnings are accepted deviations from the documented rules.
	Warnings []string `json:"warnings,omitempty"`
	// Notes are remarks on decoding that never change the answer.
	Notes []string `json:"notes,omitempty"`
	// Fault is the id of the fault rule that shaped the answer, if any.
	Fault string `json:"fault,omitempty"`
	// Conversion is the parsed request when every field check passed
	// (code 0, and 40004 for a duplicate).
	Conversion *Conversion `json:"conversion,omitempty"`
	// Attribution matches the conversion to the click whose callback it
	// carries.
	Attribution *Attribution `json:"attribution,omitempty"`
	// Replica is the replica that answered it (Config.Replica), when the
	// journal is shared.
	Replica string `json:"replica,omitempty"`
}

// requestJSON is a Request's JSON form: code and msg only when answered.
type requestJSON struct {
	requestFields
	Code *int    `json:"code,omitempty"`
	Msg  *string `json:"msg,omitempty"`
}

// requestFields is Request without its methods, so that requestJSON does
// not recurse into them.
type requestFields Request

// MarshalJSON writes r with "code" and "msg" only when r.Answered: a
// request answered without an Ocean answer (an injected 503, a dropped
// connection, 413) has neither.
func (r Request) MarshalJSON() ([]byte, error) {
	j := requestJSON{requestFields: requestFields(r)}
	if r.Answered {
		j.Code, j.Msg = &r.Code, &r.Msg
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes; Answered is set when the
// JSON has a code.
func (r *Request) UnmarshalJSON(b []byte) error {
	var j requestJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Request(j.requestFields)
	if j.Code != nil {
		r.Answered, r.Code = true, *j.Code
	}
	if j.Msg != nil {
		r.Msg = *j.Msg
	}
	return nil
}

// journal keeps requests in arrival order, optionally bounded by count
// and by bytes (oldest evicted first). It is safe for concurrent use.
type journal struct {
	mu       sync.Mutex
	buf      *ring.Buffer[Entry]
	maxBytes int64         // 0: no byte budget
	bytes    int64         // what the stored entries count
	trimmed  uint64        // evicted for the byte budget
	received uint64        // since reset, evicted ones included
	changed  chan struct{} // closed at the next append; nil until a reader waits for one (watch)
	budget   *store.Budget // charged what the entries count; evicts the oldest (Oldest, EvictOldest)
}

func newJournal(capacity int, maxBytes int64, budget *store.Budget) *journal {
	return &journal{buf: ring.New[Entry](capacity), maxBytes: maxBytes, budget: budget}
}

// watch returns the channel closed at the next change, made when the
// first reader asks for it (j.mu is held): a journal nobody waits on
// appends without allocating one.
func (j *journal) watch() chan struct{} {
	if j.changed == nil {
		j.changed = make(chan struct{})
	}
	return j.changed
}

// notify wakes the readers waiting for a change (j.mu is held).
func (j *journal) notify() {
	if j.changed != nil {
		close(j.changed)
		j.changed = nil
	}
}

// add stores e, numbering it, wakes waiters, and returns its number.
// Oldest entries go first when the count or the byte budget is exceeded;
// the newest entry is always kept, however large.
func (j *journal) add(e Entry) uint64 {
	size := e.Size() // outside the lock, which every conversion takes
	j.mu.Lock()
	before := j.bytes
	j.received++
	e.Seq = j.received
	if j.buf.Capacity > 0 && j.buf.Len() == j.buf.Capacity {
		if old := j.buf.Oldest(); old != nil {
			j.bytes -= old.Size() // Add evicts it
		}
	}
	j.buf.Add(e)
	j.bytes += size
	for j.maxBytes > 0 && j.bytes > j.maxBytes && j.buf.Len() > 1 {
		old, _ := j.buf.Front()
		j.bytes -= old.Size()
		j.buf.PopFront()
		j.trimmed++
	}
	j.notify()
	delta := j.bytes - before
	j.mu.Unlock()
	j.budget.Charge(delta)
	return e.Seq
}

// Oldest is the time of the oldest entry, for the sandbox's budget.
func (j *journal) Oldest() (int64, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if e, ok := j.buf.Front(); ok {
		return e.Time.UnixNano(), true
	}
	return 0, false
}

// EvictOldest drops the oldest entry for the sandbox's budget (the
// journal's newest stays, as with its own byte bound) and returns its
// bytes.
func (j *journal) EvictOldest() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	old, ok := j.buf.Front()
	if !ok {
		return 0
	}
	n := old.Size()
	j.bytes -= n
	j.buf.PopFront()
	j.trimmed++
	return n
}

// entries returns the stored entries, oldest first, copied under the
// lock: reading a large journal never stalls requests for longer.
func (j *journal) entries() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.buf.Slice(nil)
}

// since returns the stored entries numbered after seq, oldest first,
// in time proportional to their number: a reader that remembers the last
// number it saw reads each request once.
func (j *journal) since(seq uint64) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.received <= seq {
		return nil
	}
	return j.buf.Tail(int(min(j.received-seq, uint64(j.buf.Len()))))
}

// at returns the entry numbered seq, if the journal still holds it.
func (j *journal) at(seq uint64) (Entry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	front, ok := j.buf.Front()
	if !ok || seq < front.Seq {
		return Entry{}, false
	}
	e, ok := j.buf.At(int(seq - front.Seq))
	if !ok || e.Seq != seq {
		return Entry{}, false
	}
	return e, true
}

// changedChan returns the channel closed at the next change.
func (j *journal) changedChan() <-chan struct{} {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.watch()
}

// newest returns up to limit stored entries that keep accepts (all when
// keep is nil), numbered above since, oldest first: the newest ones. It
// copies and filters from the newest back, a chunk at a time, so a
// reader asking for the last few requests of a large journal pays for
// those, not for the journal.
func (j *journal) newest(limit int, since uint64, keep func(*Entry) bool) []Entry {
	var out []Entry // newest first
	chunk := max(64, 2*limit)
	j.mu.Lock()
	end := j.received // the seq after the newest in view
	j.mu.Unlock()
	for len(out) < limit && end > since {
		j.mu.Lock()
		oldest := j.received - uint64(j.buf.Len()) + 1 // seq of the oldest stored
		lo := max(since+1, oldest, end-min(end, uint64(chunk))+1)
		var entries []Entry
		if end >= lo && end >= oldest {
			entries = j.buf.Range(int(lo-oldest), int(end-oldest)+1)
		}
		j.mu.Unlock()
		if len(entries) == 0 {
			break
		}
		for i := len(entries) - 1; i >= 0 && len(out) < limit; i-- {
			if keep == nil || keep(&entries[i]) {
				out = append(out, entries[i])
			}
		}
		end = lo - 1
		chunk *= 2
	}
	slices.Reverse(out)
	return out
}

// wait blocks until at least n requests have been received since the last
// reset, or ctx is done.
func (j *journal) wait(ctx context.Context, n int) error {
	for {
		j.mu.Lock()
		got, ch := j.received, j.watch()
		j.mu.Unlock()
		if got >= uint64(n) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// JournalStats counts what the journal holds and has dropped.
type JournalStats struct {
	Stored   int    `json:"stored"`
	Received uint64 `json:"received"`
	Evicted  uint64 `json:"evicted"`
	Capacity int    `json:"capacity"`
	// Bytes is what the stored requests count against MaxBytes: their
	// texts as received plus a fixed overhead each.
	Bytes int64 `json:"bytes"`
	// MaxBytes is the byte budget (0: none).
	MaxBytes int64 `json:"max_bytes"`
}

func (j *journal) stats() JournalStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return JournalStats{Stored: j.buf.Len(), Received: j.received, Evicted: j.buf.Evicted() + j.trimmed,
		Capacity: j.buf.Capacity, Bytes: j.bytes, MaxBytes: j.maxBytes}
}

func (j *journal) reset() {
	j.mu.Lock()
	freed := j.bytes
	j.buf.Reset()
	j.bytes, j.trimmed = 0, 0
	j.received = 0
	j.notify()
	j.mu.Unlock()
	j.budget.Charge(-freed)
}
