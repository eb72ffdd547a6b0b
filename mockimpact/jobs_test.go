package mockimpact

import (
	"context"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/fixtures"
)

// TestJobRecords: one row per record processed, the same rows for the same
// job, and an export whose reader went away stops writing.
func TestJobRecords(t *testing.T) {
	ev := fixtures.NewImpactGen(4, fixtures.DefaultImpactTime).JobCompleted()
	ev.RecordsProcessed = 50
	var a, b strings.Builder
	if err := JobRecords(context.Background(), &a, ev); err != nil {
		t.Fatal(err)
	}
	_ = JobRecords(context.Background(), &b, ev)
	if lines := strings.Count(a.String(), "\n"); lines != 51 || a.String() != b.String() {
		t.Fatalf("%d lines; same job, same file: %v", lines, a.String() == b.String())
	}
	ev.RecordsProcessed = MaxJobRecords * 4
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var c strings.Builder
	if err := JobRecords(ctx, &c, ev); err == nil || strings.Count(c.String(), "\n") > 1 {
		t.Fatalf("a cancelled export kept writing: %v", err)
	}
}
