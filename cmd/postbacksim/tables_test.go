package main

import (
	"encoding/json"
	"strings"
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
		sub, api, block string
		rows            any
	}{
		{"catalog", "track", "ocean-error-catalog", mockocean.Catalog()},
		{"catalog", "v2", "ocean-v2-catalog", mockocean.V2Catalog()},
		{"event-types", "track", "ocean-event-types", mockocean.EventTypes()},
		{"event-types", "v2", "ocean-v2-event-types", mockocean.V2EventTypes()},
		{"macros", "", "ocean-monitor-macros", mockocean.MonitorMacros()},
	} {
		args := []string{"ocean", c.sub}
		if c.api != "" {
			args = append(args, "--api", c.api)
		}
		code, out, _ := runCLI(args...)
		if code != exitOK || out != blocks[c.block]() {
			t.Errorf("%v: exit %d, output differs from docgen block %s:\n%s", args, code, c.block, out)
		}
		code, out, _ = runCLI(append(args, "--json")...)
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

// TestOceanTablesShowBothAPIs: without --api, a table of each API.
func TestOceanTablesShowBothAPIs(t *testing.T) {
	blocks := docgen.Blocks()
	code, out, _ := runCLI("ocean", "catalog")
	if code != exitOK || !strings.Contains(out, blocks["ocean-error-catalog"]()) || !strings.Contains(out, blocks["ocean-v2-catalog"]()) {
		t.Errorf("ocean catalog: exit %d, want both catalogs:\n%s", code, out)
	}
	if code, _, errOut := runCLI("ocean", "catalog", "--api", "v3"); code != exitUsage || !strings.Contains(errOut, "want track or v2") {
		t.Errorf("--api v3: exit %d, %s", code, errOut)
	}
}
