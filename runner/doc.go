// Package runner executes scenario files (package scenarios). An impact
// scenario drives the reference dispatcher against a scripted receiver on a
// virtual clock, so the 31-hour retry schedule takes milliseconds; an Ocean
// scenario sends its requests to a fresh Ocean Engine emulator. Each
// scenario runs isolated, so many run in parallel, and the same files give
// the same report every time.
//
//	rep, err := runner.RunPaths(ctx, []string{"scenarios/"}, runner.Options{})
//	rep.WriteText(os.Stdout) // or WriteJSON, WriteJUnit
//	os.Exit(rep.ExitCode())  // 0 all passed, 1 a scenario failed, 2 a file is invalid
//
// A failed check carries a go-cmp diff, and each Result the attempt
// timeline (impact) or the step log (Ocean); the JSON report is structured
// (ReportSchemaJSON is its schema) and the JUnit report follows the
// Jenkins/Ant schema, with wall-clock times. With Options.Target, impact
// deliveries go to a real receiver on the wall clock, sped up
// Options.TimeScale times; offsets are then compared within Tolerance, and
// the checks a live run cannot make are listed in Result.Skipped.
//
// In Go tests, package runnertest runs scenario files as subtests:
//
//	func TestScenarios(t *testing.T) { runnertest.Run(t, "testdata/scenarios") }
//
// `postbacksim run` is this package on the command line; docs/scenarios.md
// of the repository describes the files and the reports.
package runner
