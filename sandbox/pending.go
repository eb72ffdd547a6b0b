package sandbox

import (
	"context"
	"fmt"

	"github.com/postbacksim/postbacksim/mockimpact"
)

// admitDelivery is each in-memory dispatcher's Admit: it refuses a new
// delivery when all the namespaces together have
// Config.MaxPendingDeliveries not yet ended.
//
// It counts them once per room's worth of deliveries, not once per event,
// one count at a time (internal/room): deliveries that end meanwhile make
// more room, found at the next count.
func (sb *Sandbox) admitDelivery(ctx context.Context) error {
	err := sb.pendingRoom.Take(func() (int, error) {
		most := sb.cfg.MaxPendingDeliveries
		if most <= 0 {
			most = DefaultMaxPendingDeliveries
		}
		total := 0
		for _, t := range sb.tenantList() {
			n, err := t.Impact.PendingCount(ctx)
			if err != nil {
				return 0, err
			}
			total += n
		}
		if total >= most {
			return 0, fmt.Errorf("%w (%d in the whole sandbox; the bound is %d)", mockimpact.ErrTooManyPending, total, most)
		}
		return most - total, nil
	})
	if err != nil {
		return err
	}
	if st := sb.budget.Stats(); st.Limit > 0 && st.Held > st.Limit {
		// the budget evicts what it can: what is left over is pending
		return fmt.Errorf("%w (the sandbox's memory budget of %d bytes is held by deliveries that have not ended)", mockimpact.ErrTooManyPending, st.Limit)
	}
	return nil
}
