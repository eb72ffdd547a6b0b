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
// It counts them once per room's worth of deliveries, not once per event:
// room is how many more it lets in before counting again (deliveries
// that end meanwhile make more room, found at the next count).
func (sb *Sandbox) admitDelivery(ctx context.Context) error {
	if sb.pendingRoom.Add(-1) < 0 {
		most := sb.cfg.MaxPendingDeliveries
		if most <= 0 {
			most = DefaultMaxPendingDeliveries
		}
		total := 0
		for _, t := range sb.tenantList() {
			n, err := t.Impact.PendingCount(ctx)
			if err != nil {
				sb.pendingRoom.Store(0)
				return err
			}
			total += n
		}
		if total >= most {
			sb.pendingRoom.Store(0)
			return fmt.Errorf("%w (%d in the whole sandbox; the bound is %d)", mockimpact.ErrTooManyPending, total, most)
		}
		// This delivery, and those let in since the count began, take
		// from the room found.
		sb.pendingRoom.Store(int64(most - total - 1))
	}
	if st := sb.budget.Stats(); st.Limit > 0 && st.Held > st.Limit {
		// the budget evicts what it can: what is left over is pending
		return fmt.Errorf("%w (the sandbox's memory budget of %d bytes is held by deliveries that have not ended)", mockimpact.ErrTooManyPending, st.Limit)
	}
	return nil
}
