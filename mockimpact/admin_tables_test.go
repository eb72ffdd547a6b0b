package mockimpact_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// TestAdminServesTheTables: GET /_admin/impact/events answers with the
// events, status, outcome and retry-schedule tables as their accessors return
// them.
func TestAdminServesTheTables(t *testing.T) {
	d := mockimpact.NewDispatcher(mockimpact.Options{Clock: clock.NewVirtual(time.Time{})})
	code, got := call(t, mockimpact.NewAdmin(d), "GET", mockimpact.AdminPrefix+"/events", "")
	var schedule []string
	for _, s := range mockimpact.RetrySchedule() {
		schedule = append(schedule, s.String())
	}
	b, err := json.Marshal(map[string]any{"events": fixtures.ImpactEvents(), "statuses": fixtures.ImpactStatuses(), "outcomes": mockimpact.Outcomes(), "retry_schedule": schedule})
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); code != 200 || diff != "" {
		t.Errorf("GET events: %d, differs from the tables (-want +got):\n%s", code, diff)
	}
}
