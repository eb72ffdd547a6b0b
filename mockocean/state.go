package mockocean

import (
	"context"
	"time"
	"unsafe"

	"github.com/postbacksim/postbacksim/clock"
)

// Store opens the state Servers keep: the duplicate filter, the journal
// and the fault rules. A nil Config.Store keeps it in the process's
// memory (MemoryStore: the default, and the fastest); package redisstore
// keeps it in Redis, shared by every Server (every replica) opened on the
// same Redis and namespace.
type Store interface {
	// Open returns the state of a Server whose bounds and clock c gives.
	Open(c StateConfig) State
}

// StateConfig is what a State needs to know of its Server: how long and
// how many outer_event_ids it remembers, how large its journal grows, and
// its clock. A Server fills every field (its Config's defaults applied).
type StateConfig struct {
	// Clock ages the remembered ids.
	Clock clock.Clock
	// DedupCapacity bounds the remembered ids, oldest evicted first.
	DedupCapacity int
	// DedupTTL is how long an id is remembered.
	DedupTTL time.Duration
	// JournalCapacity bounds the journal's count (0: none), oldest
	// evicted first.
	JournalCapacity int
	// JournalMaxBytes bounds what the journal's entries count (Entry.Size;
	// 0: none), oldest evicted first; the newest entry always stays.
	JournalMaxBytes int64
}

// State is a Server's state behind one interface: what the request path
// and the admin endpoints read and change. A state that cannot be
// reached fails with an error wrapping store.ErrUnavailable (the memory
// state never fails), having changed nothing, unless the store made the
// change and its answer was lost (a Redis that stalls past the client's
// timeout); the Server answers HTTP 503 then. A journal entry a state
// cannot read back is an error of its own, naming the entry.
//
// The journal holds Entries, what was received and answered; the Server
// derives each Request from its Entry on read.
type State interface {
	// Record journals e and returns it as journaled: numbered (Seq) and,
	// when id is not empty (an accepted conversion's outer_event_id) and
	// was accepted before, marked as its duplicate (MarkDuplicate; fresh
	// is then false). The duplicate filter decides in the same atomic
	// step as the journaling. With unlessFaults, a state that holds a
	// fault rule records nothing and reports faults: the Server then
	// applies the rules and records again (without it). The entry goes
	// in and out by value: the request path allocates nothing for it.
	Record(ctx context.Context, e Entry, id string, unlessFaults bool) (journaled Entry, fresh, faults bool, err error)

	// Entries returns the journal, oldest first.
	Entries(ctx context.Context) ([]Entry, error)
	// Since returns the entries numbered above seq, oldest first, in time
	// proportional to their count.
	Since(ctx context.Context, seq uint64) ([]Entry, error)
	// Newest returns up to limit entries that keep accepts (every one for
	// a nil keep), numbered above since, oldest first: the newest ones,
	// reading no more of a large journal than it must.
	Newest(ctx context.Context, limit int, since uint64, keep func(*Entry) bool) ([]Entry, error)
	// Entry returns entry seq, if the journal still holds it.
	Entry(ctx context.Context, seq uint64) (e Entry, ok bool, err error)
	// Wait blocks until at least n requests were journaled since the last
	// ResetJournal, by every Server sharing the state, or ctx is done.
	Wait(ctx context.Context, n int) error
	// Changed returns a channel closed at the next change of the journal,
	// or, for a journal other processes write too, after a short while
	// on the clock (they do not tell this one).
	Changed() <-chan struct{}
	// JournalStats counts what the journal holds and dropped.
	JournalStats(ctx context.Context) (JournalStats, error)
	// ResetJournal empties the journal and restarts its numbering.
	ResetJournal(ctx context.Context) error

	// DedupStats describes the duplicate filter.
	DedupStats(ctx context.Context) (DedupStats, error)
	// ResetDedup forgets every outer_event_id.
	ResetDedup(ctx context.Context) error

	// PickFault returns the first fault rule that matches a request to
	// api (APITrack or APIV2) with these parameters (Fault.Matches) and
	// fires, its hit counted: exactly once across the Servers sharing the
	// state, and never past its Times.
	PickFault(ctx context.Context, api string, values map[string]string) (Fault, bool, error)
	// AddFault stores f, a rule that passed Fault.Check, numbering it
	// ("f1", …) when its ID is empty; an ID in use is an error that says
	// so (not wrapping store.ErrUnavailable).
	AddFault(ctx context.Context, f Fault) (Fault, error)
	// Faults lists the rules in the order they were added, with their
	// hits.
	Faults(ctx context.Context) ([]Fault, error)
	// RemoveFault deletes the rule id and reports whether one existed.
	RemoveFault(ctx context.Context, id string) (bool, error)
	// ClearFaults deletes every rule.
	ClearFaults(ctx context.Context) error

	// Ping reports whether the state can be reached.
	Ping(ctx context.Context) error
}

// Entry is a journaled request in compact form: what was received, and
// the answer. Request's Params, Conversion and Attribution are derived
// from Raw on read, by the same pure decoding and validation, so a large
// journal holds few pointers (and costs the garbage collector little).
type Entry struct {
	// Seq numbers the entries of a journal from 1 (State.Record sets it).
	Seq  uint64
	Time time.Time
	Raw  Raw
	// Decoded is false when nothing was read of the body (HTTP 413).
	Decoded bool
	// Path is the request's path, Remote its client's address.
	Path, Remote string
	// Status is the HTTP status answered (0: the connection was dropped);
	// Code, Msg the Ocean answer when Answered.
	Status, Code int
	Answered     bool
	Msg, Detail  string
	// Fault is the id of the fault rule that shaped the answer, if any.
	Fault           string
	Warnings, Notes []string
	Replica         string // Config.Replica
}

// entryOverhead approximates what an Entry costs beyond its strings'
// bytes: the struct in its ring slot and the strings' headers.
const entryOverhead = int64(unsafe.Sizeof(Entry{}))

// Size is what e counts against a journal's byte budget
// (JournalMaxBytes): its texts as received and answered, plus a fixed
// overhead.
func (e *Entry) Size() int64 {
	n := entryOverhead + int64(len(e.Raw.Method)+len(e.Raw.ContentType)+len(e.Raw.Query)+len(e.Raw.Body)+
		len(e.Raw.API)+len(e.Raw.Signature)+len(e.Raw.RS256Token)+
		len(e.Path)+len(e.Remote)+len(e.Msg)+len(e.Detail)+len(e.Fault)+len(e.Replica))
	for _, w := range e.Warnings {
		n += int64(len(w)) + 16
	}
	for _, w := range e.Notes {
		n += int64(len(w)) + 16
	}
	return n
}

// MarkDuplicate turns e, an accepted conversion, into the answer to a
// duplicate of outer_event_id id (40004).
func (e *Entry) MarkDuplicate(id string) {
	code, msg := ruleByCode[CodeDuplicate].Code, ruleByCode[CodeDuplicate].Msg
	if e.Raw.API == APIV2 {
		code, msg = V2CodeDuplicate, v2RuleByCode[V2CodeDuplicate].Message
	}
	e.Code, e.Msg, e.Detail = code, msg, "outer_event_id "+id+" was accepted before"
}

// request is e's answer and metadata as a Request, without the derived
// parts.
func (e *Entry) request() Request {
	requestID := ""
	if e.Raw.API == APIV2 && e.Answered {
		requestID = v2RequestID(e)
	}
	return Request{
		RequestID: requestID,
		API:       e.Raw.API, Debug: e.Raw.Debug, Signature: e.Raw.Signature, RS256Token: e.Raw.RS256Token, AppAccessToken: e.Raw.AppToken,
		Seq: e.Seq, Time: e.Time, Method: e.Raw.Method, Path: e.Path, ContentType: e.Raw.ContentType, RemoteAddr: e.Remote,
		Query: e.Raw.Query, Body: e.Raw.Body,
		Status: e.Status, Answered: e.Answered, Code: e.Code, Msg: e.Msg, Detail: e.Detail, Warnings: e.Warnings, Notes: e.Notes, Fault: e.Fault,
		Replica: e.Replica,
	}
}
