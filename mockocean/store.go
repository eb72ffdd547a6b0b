package mockocean

import (
	"context"
	"errors"
	"fmt"
)

// Store is where Servers keep their state: the duplicate filter, the
// journal and the fault rules with their hit counts. A nil Config.Store
// keeps it in the process's memory (the embedded default, and the
// fastest); NewRedisStore keeps it in Redis, shared by every Server
// (every replica) configured with the same store and namespace.
//
// The interface is sealed: its implementations are the ones in this
// package.
type Store interface {
	// Namespace returns the store of one namespace, whose state is apart
	// from every other namespace's.
	Namespace(name string) Store
	// Ping reports whether the store can be reached.
	Ping(ctx context.Context) error
	// open returns the state of a Server configured by cfg.
	open(cfg Config, materialize func(*entry) Request) oceanState
}

// faultFreeRecorder is a state that journals a request in the same step
// that checks no fault rule exists (Redis: one round trip instead of
// two); recordUnlessFaults records nothing, and reports faults, when a
// rule exists.
type faultFreeRecorder interface {
	recordUnlessFaults(ctx context.Context, e entry, id string) (journaled entry, fresh, faults bool, err error)
}

// ErrStoreUnavailable wraps every error of a store that could not be
// reached or did not answer: /track/activate/ then answers HTTP 503.
var ErrStoreUnavailable = errors.New("state store unavailable")

// oceanState is a Server's state behind one interface: the in-memory
// structures (memoryState) or Redis (redisState). Every method may fail
// with an error wrapping ErrStoreUnavailable; the memory state never
// fails.
type oceanState interface {
	// pickFault returns the first fault rule that matches values and
	// fires, its hit counted (exactly once across the Servers sharing
	// the state).
	pickFault(ctx context.Context, values map[string]string) (Fault, bool, error)
	// addFault stores f (validated, its Msg filled), assigning its ID
	// when empty.
	addFault(ctx context.Context, f Fault) (Fault, error)
	listFaults(ctx context.Context) ([]Fault, error)
	removeFault(ctx context.Context, id string) (bool, error)
	clearFaults(ctx context.Context) error

	// record journals e and returns it as journaled, numbered. When id
	// is not empty (an accepted conversion with an outer_event_id), the
	// duplicate filter decides first, atomically with the journaling:
	// fresh is false when id was accepted before, and the journal then
	// holds e marked as a duplicate (markDuplicate).
	record(ctx context.Context, e entry, id string) (journaled entry, fresh bool, err error)
	snapshot(ctx context.Context, keep func(*Request) bool) ([]Request, error)
	since(ctx context.Context, seq uint64) ([]Request, error)
	// newest returns up to limit requests that keep accepts, numbered
	// above since, oldest first: the newest ones.
	newest(ctx context.Context, limit int, since uint64, keep func(*Request) bool) ([]Request, error)
	wait(ctx context.Context, n int) error
	journalStats(ctx context.Context) (JournalStats, error)
	resetJournal(ctx context.Context) error

	dedupStats(ctx context.Context) (DedupStats, error)
	resetDedup(ctx context.Context) error

	ping(ctx context.Context) error
}

// markDuplicate turns e, an accepted conversion, into the answer to a
// duplicate of id.
func markDuplicate(e *entry, id string) {
	dup := ruleByCode[CodeDuplicate]
	e.code, e.msg, e.detail = dup.Code, dup.Msg, "outer_event_id "+id+" was accepted before"
}

// memoryState is the in-memory state: the structures a Server has
// always kept, unchanged.
type memoryState struct {
	dedup   *dedup
	journal *journal
	faults  *faultSet
}

func (m *memoryState) pickFault(_ context.Context, values map[string]string) (Fault, bool, error) {
	f, ok := m.faults.pick(values)
	return f, ok, nil
}

func (m *memoryState) addFault(_ context.Context, f Fault) (Fault, error) { return m.faults.add(f) }
func (m *memoryState) listFaults(context.Context) ([]Fault, error)        { return m.faults.list(), nil }
func (m *memoryState) removeFault(_ context.Context, id string) (bool, error) {
	return m.faults.remove(id), nil
}
func (m *memoryState) clearFaults(context.Context) error { m.faults.clear(); return nil }

func (m *memoryState) record(_ context.Context, e entry, id string) (entry, bool, error) {
	fresh := true
	if id != "" && !m.dedup.add(id) {
		fresh = false
		markDuplicate(&e, id)
	}
	e.seq = m.journal.add(e)
	return e, fresh, nil
}

func (m *memoryState) snapshot(_ context.Context, keep func(*Request) bool) ([]Request, error) {
	return m.journal.snapshot(keep), nil
}
func (m *memoryState) newest(_ context.Context, limit int, since uint64, keep func(*Request) bool) ([]Request, error) {
	return m.journal.newest(limit, since, keep), nil
}

func (m *memoryState) since(_ context.Context, seq uint64) ([]Request, error) {
	return m.journal.since(seq), nil
}
func (m *memoryState) wait(ctx context.Context, n int) error { return m.journal.wait(ctx, n) }
func (m *memoryState) journalStats(context.Context) (JournalStats, error) {
	return m.journal.stats(), nil
}
func (m *memoryState) resetJournal(context.Context) error { m.journal.reset(); return nil }
func (m *memoryState) dedupStats(context.Context) (DedupStats, error) {
	return m.dedup.stats(), nil
}
func (m *memoryState) resetDedup(context.Context) error { m.dedup.reset(); return nil }
func (m *memoryState) ping(context.Context) error       { return nil }

// unavailable wraps err, from the store, as ErrStoreUnavailable with what
// was being done.
func unavailable(what string, err error) error {
	return fmt.Errorf("%s: %w: %w", what, ErrStoreUnavailable, err)
}
