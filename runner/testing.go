package runner

import (
	"context"
	"testing"

	"github.com/postbacksim/postbacksim/scenarios"
)

// RunFile runs the scenario files at path (a file, or a folder walked for
// *.yaml) as subtests of t, one per scenario, named after the file. An
// invalid file fails its subtest with the loader's positioned errors.
//
//	func TestScenarios(t *testing.T) { runner.RunFile(t, "testdata/scenarios") }
func RunFile(t *testing.T, path string, opts ...Options) {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	files, err := scenarios.Find([]string{path})
	if err != nil {
		t.Fatalf("runner.RunFile: %v", err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			res := RunScenarioFile(context.Background(), f, o)
			switch res.Status {
			case Invalid:
				t.Fatalf("invalid scenario file:\n%s", res.Error)
			case Fail:
				for _, msg := range res.Failures {
					t.Errorf("%s: %s", res.Name, msg)
				}
				t.Logf("timeline:\n%s", res.Timeline)
			}
		})
	}
}
