package main

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/internal/docgen"
	"github.com/postbacksim/postbacksim/mockocean"
)

// TestOceanTablesComeFromTheGenerators: `ocean catalog|event-types|macros`
// print the very tables the docs carry, and --json the accessors' rows.
func TestOceanTablesComeFromTheGenerators(t *testing.T) {
	blocks := docgen.Blocks()
	for _, c := range []struct {
		sub, block string
		rows       any
	}{
		{"catalog", "ocean-error-catalog", mockocean.Catalog()},
		{"event-types", "ocean-event-types", mockocean.EventTypes()},
		{"macros", "ocean-monitor-macros", mockocean.MonitorMacros()},
	} {
		code, out, _ := runCLI("ocean", c.sub)
		if code != exitOK || out != blocks[c.block]() {
			t.Errorf("ocean %s: exit %d, output differs from docgen block %s:\n%s", c.sub, code, c.block, out)
		}
		code, out, _ = runCLI("ocean", c.sub, "--json")
		want, _ := json.Marshal(c.rows)
		var gotV, wantV any
		if err := json.Unmarshal([]byte(out), &gotV); code != exitOK || err != nil {
			t.Fatalf("ocean %s --json: exit %d, %v", c.sub, code, err)
		}
		_ = json.Unmarshal(want, &wantV)
		if diff := cmp.Diff(wantV, gotV); diff != "" {
			t.Errorf("ocean %s --json differs from the table (-want +got):\n%s", c.sub, diff)
		}
	}
}
