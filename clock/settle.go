package clock

import (
	"errors"
	"fmt"
)

// MaxFirings bounds Settle: far more timer firings than any retry schedule
// or scenario needs, so a timer that keeps rescheduling itself ends in an
// error instead of a hang. It is the one limit the scenario runner, the
// CLI and the test helpers share; code that drives a Virtual clock to the
// end should call Settle rather than choose a limit of its own.
const MaxFirings = 10_000_000

// ErrNotSettled is the error Settle wraps when timers are still pending
// after MaxFirings firings.
var ErrNotSettled = errors.New("clock: the virtual clock did not settle")

// Settle fires timers in order, like RunUntilIdle, until none is pending.
// It gives up after MaxFirings firings and then returns an error wrapping
// ErrNotSettled that says how many fired and how many are still pending.
func (v *Virtual) Settle() error {
	return v.settle(MaxFirings)
}

// settle is Settle with the limit as a parameter, so tests need not fire
// ten million timers.
func (v *Virtual) settle(limit int) error {
	n := v.RunUntilIdle(limit)
	if p := v.Pending(); p > 0 {
		return fmt.Errorf("%w: still busy after %d timer firings (the limit), %d timer(s) pending: a timer keeps rescheduling itself", ErrNotSettled, n, p)
	}
	return nil
}
