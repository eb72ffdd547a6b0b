package mockocean

import (
	"context"

	"github.com/postbacksim/postbacksim/store"
)

// MemoryStore keeps each Server's state in the process's memory: the
// default when Config.Store is nil. Its states never fail, and a state
// is its Server's alone.
type MemoryStore struct {
	// Budget, when set, is charged what every state opened holds (the
	// journal's requests, the remembered ids) and evicts the oldest
	// journal entries across all the states sharing it, remembered ids
	// only when no entry is left to evict; Server.Close releases a
	// state's share. nil: each state is bounded by its own caps only.
	Budget *store.Budget
}

var _ Store = MemoryStore{}

// Open returns a new, empty state in memory.
func (m MemoryStore) Open(c StateConfig) State {
	st := &memoryState{
		dedup:   newDedup(c.Clock, c.DedupCapacity, c.DedupTTL, m.Budget),
		journal: newJournal(c.JournalCapacity, c.JournalMaxBytes, m.Budget),
	}
	u1, u2 := m.Budget.Register(st.journal), m.Budget.RegisterLast(st.dedup)
	st.unregister = func() { u1(); u2() }
	return st
}

// memoryState is the in-memory state: a duplicate filter, a journal and
// the fault rules, each with its own lock.
type memoryState struct {
	dedup      *dedup
	journal    *journal
	faults     faultSet
	unregister func() // from the budget
}

// Close releases what the state holds from its budget.
func (m *memoryState) Close() {
	m.unregister()
	m.journal.reset()
	m.dedup.reset()
}

var _ State = (*memoryState)(nil)

func (m *memoryState) Record(_ context.Context, e Entry, id string, unlessFaults bool) (Entry, bool, bool, error) {
	if unlessFaults && m.faults.any() {
		return e, false, true, nil
	}
	fresh := true
	if id != "" && !m.dedup.add(id) {
		fresh = false
		e.MarkDuplicate(id)
	}
	e.Seq = m.journal.add(e)
	return e, fresh, false, nil
}

func (m *memoryState) Entries(context.Context) ([]Entry, error) { return m.journal.entries(), nil }
func (m *memoryState) Since(_ context.Context, seq uint64) ([]Entry, error) {
	return m.journal.since(seq), nil
}
func (m *memoryState) Newest(_ context.Context, limit int, since uint64, keep func(*Entry) bool) ([]Entry, error) {
	return m.journal.newest(limit, since, keep), nil
}
func (m *memoryState) Entry(_ context.Context, seq uint64) (Entry, bool, error) {
	e, ok := m.journal.at(seq)
	return e, ok, nil
}
func (m *memoryState) Wait(ctx context.Context, n int) error { return m.journal.wait(ctx, n) }
func (m *memoryState) Changed() <-chan struct{}              { return m.journal.changedChan() }
func (m *memoryState) JournalStats(context.Context) (JournalStats, error) {
	return m.journal.stats(), nil
}
func (m *memoryState) ResetJournal(context.Context) error { m.journal.reset(); return nil }

func (m *memoryState) DedupStats(context.Context) (DedupStats, error) { return m.dedup.stats(), nil }
func (m *memoryState) ResetDedup(context.Context) error               { m.dedup.reset(); return nil }

func (m *memoryState) PickFault(_ context.Context, api string, values map[string]string) (Fault, bool, error) {
	f, ok := m.faults.pick(api, values)
	return f, ok, nil
}
func (m *memoryState) AddFault(_ context.Context, f Fault) (Fault, error) { return m.faults.add(f) }
func (m *memoryState) Faults(context.Context) ([]Fault, error)            { return m.faults.list(), nil }
func (m *memoryState) RemoveFault(_ context.Context, id string) (bool, error) {
	return m.faults.remove(id), nil
}
func (m *memoryState) ClearFaults(context.Context) error { m.faults.clear(); return nil }
func (m *memoryState) Ping(context.Context) error        { return nil }
