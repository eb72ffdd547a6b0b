// Package runnertest runs scenario files as Go subtests, so a partner's
// scenario library runs under go test next to its other tests:
//
//	func TestScenarios(t *testing.T) { runnertest.Run(t, "testdata/scenarios") }
package runnertest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/postbacksim/postbacksim/runner"
	"github.com/postbacksim/postbacksim/scenarios"
)

// Run runs the scenario files at path (a file, or a folder walked for
// *.yaml, skipping testdata/) as parallel subtests of t, one per file,
// named by the file's path inside the folder (impact/min-delay.yaml), or
// its name when path is a file, so `go test -run 'TestScenarios/min-delay'`
// picks one. An invalid file fails its subtest with the
// loader's positioned errors; a failed check fails it with the check's
// message, and the timeline is logged.
func Run(t *testing.T, path string, opts ...Option) {
	t.Helper()
	o := apply(opts)
	files, err := scenarios.Find([]string{path})
	if err != nil {
		t.Fatalf("runnertest.Run: %v", err)
	}
	for _, f := range files {
		t.Run(subtestName(path, f), func(t *testing.T) {
			t.Parallel()
			res := runner.RunScenarioFile(context.Background(), f, o)
			switch res.Status {
			case runner.Invalid:
				t.Fatalf("invalid scenario file:\n%s", res.Error)
			case runner.Fail:
				for _, msg := range res.Failures {
					t.Errorf("%s: %s", res.Name, msg)
				}
				t.Logf("timeline:\n%s", res.Timeline)
			}
		})
	}
}

// Option adjusts the runner.Options the files run with; options apply in
// the order given, each to what the ones before left. Any
// func(*runner.Options) is an Option:
//
//	runnertest.Run(t, "testdata/live", func(o *runner.Options) { o.Target = receiverURL })
//
// With no option, files run as `postbacksim run` runs them by default.
type Option func(*runner.Options)

// apply is the runner.Options the options make, each applied in order.
func apply(opts []Option) runner.Options {
	var o runner.Options
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// subtestName names the subtest of file, found under root: its path
// relative to root, or its base name when root is the file itself.
func subtestName(root, file string) string {
	rel, err := filepath.Rel(root, file)
	if err != nil || rel == "." || rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
		return filepath.Base(file)
	}
	return filepath.ToSlash(rel)
}
