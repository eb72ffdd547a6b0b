package sandbox

import (
	"context"
	"fmt"

	"github.com/postbacksim/postbacksim/mockimpact"
)

// admitDelivery is each in-memory dispatcher's Admit: it refuses a new
// delivery when all the namespaces together have
// Config.MaxPendingDeliveries not yet ended.
func (sb *Sandbox) admitDelivery(ctx context.Context) error {
	most := sb.cfg.MaxPendingDeliveries
	if most <= 0 {
		most = DefaultMaxPendingDeliveries
	}
	total := 0
	for _, t := range sb.tenantList() {
		n, err := t.Impact.PendingCount(ctx)
		if err != nil {
			return err
		}
		total += n
	}
	if total >= most {
		return fmt.Errorf("%w (%d in the whole sandbox; the bound is %d)", mockimpact.ErrTooManyPending, total, most)
	}
	if st := sb.budget.Stats(); st.Limit > 0 && st.Held > st.Limit {
		// the budget evicts what it can: what is left over is pending
		return fmt.Errorf("%w (the sandbox's memory budget of %d bytes is held by deliveries that have not ended)", mockimpact.ErrTooManyPending, st.Limit)
	}
	return nil
}
