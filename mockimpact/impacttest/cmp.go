package impacttest

import (
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/postbacksim/postbacksim/mockimpact"
)

// IgnoreTimes is a go-cmp option that ignores the wall-clock-dependent
// fields of mockimpact.Delivery and Attempt (times, latencies, IDs), for
// comparing live runs. On the virtual clock every field is deterministic.
var IgnoreTimes cmp.Option = cmp.Options{
	cmpopts.IgnoreFields(mockimpact.Delivery{}, "ID", "Fired"),
	cmpopts.IgnoreFields(mockimpact.Attempt{}, "DeliveryID", "Scheduled", "Actual", "Offset", "Latency", "Next", "RateLimited", "Queued"),
}
