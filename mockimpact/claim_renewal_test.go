package mockimpact_test

import (
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/impacttest"
)

// leasedMemory is the memory store, saying its claims hold for a lease
// (as a shared store does), without a poll.
type leasedMemory struct{ *mockimpact.MemoryDeliveries }

func (leasedMemory) Sharing() mockimpact.Sharing { return mockimpact.Sharing{Lease: 30 * time.Second} }

// TestFinishedAttemptLeavesNoRenewalTimer: once an attempt is journaled,
// its claim is no longer renewed and nothing of it stays on the clock: a
// virtual clock goes idle at once (a renewal timer left Lease/3 ahead
// would move RunUntilIdle 10 s past the last event).
func TestFinishedAttemptLeavesNoRenewalTimer(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithScript(mockimpact.Step{Status: 200}),
		impacttest.WithDeliveries(leasedMemory{mockimpact.NewMemoryDeliveries()}))
	td.FireGenerated("action_lifecycle", 1)
	td.Advance(0)
	if st := td.Stats(); st.Attempts != 1 || st.Pending != 0 {
		t.Fatalf("stats %+v; want one attempt, delivered", st)
	}
	if n := td.Clock.Pending(); n != 0 {
		next, _ := td.Clock.Next()
		t.Fatalf("%d timers pending after the delivery ended (next at +%v); want none", n, next.Sub(td.Clock.Now()))
	}
}
