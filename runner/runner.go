package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/postbacksim/postbacksim/scenarios"
)

// Options configure a run. The zero value runs every scenario on the
// virtual clock, GOMAXPROCS at a time.
type Options struct {
	// Parallel is how many scenarios run at once; 0 means GOMAXPROCS.
	Parallel int
	// Target, when set, sends impact scenarios' deliveries to this real
	// receiver (replacing {receiver}) on the live clock, and checks how
	// impact would classify its answers. The scripted receiver and the
	// received checks are not used.
	Target string
	// TimeScale compresses the live schedule K times (Target only).
	TimeScale float64
	// Tolerance is how far an attempt's offset may be from the expected
	// one, per attempt (attempt n: (n-1)×Tolerance), and a first attempt
	// from first_attempt_at; 0 means the file's impact.expect.tolerance,
	// else the default of Tolerance.
	Tolerance time.Duration
	// LiveTimeout bounds one live scenario in real time; 0 means 2 minutes.
	LiveTimeout time.Duration
}

// Report is the result of a run.
type Report struct {
	// Results are the scenarios' results, in file order.
	Results []Result `json:"results"`
	// Passed, Failed and Invalid count the results by status.
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Invalid int `json:"invalid"`
}

// ExitCode is 0 when every scenario passed, 2 when a file is invalid, 1
// when a scenario failed.
func (r Report) ExitCode() int {
	switch {
	case r.Invalid > 0:
		return 2
	case r.Failed > 0:
		return 1
	}
	return 0
}

// RunPaths loads and runs every scenario file in paths (files, or folders
// walked by scenarios.Find). It fails only when a path cannot be read;
// invalid files are results.
func RunPaths(ctx context.Context, paths []string, o Options) (Report, error) {
	files, err := scenarios.Find(paths)
	if err != nil {
		return Report{}, err
	}
	results := make([]Result, len(files))
	parallel := o.Parallel
	if parallel <= 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = RunScenarioFile(ctx, f, o)
		}()
	}
	wg.Wait()
	var rep Report
	rep.Results = results
	for _, r := range results {
		switch r.Status {
		case Pass:
			rep.Passed++
		case Fail:
			rep.Failed++
		default:
			rep.Invalid++
		}
	}
	return rep, nil
}

// RunScenarioFile loads and runs one scenario file. A panic while loading
// or running it becomes an invalid result for this file alone, so one bad
// file never takes a run down.
func RunScenarioFile(ctx context.Context, file string, o Options) (res Result) {
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprintf("postbacksim failed on this file (panic: %v); please report it with the file", r)
			res = Result{File: file, Status: Invalid, Error: file + ": " + msg, Errors: []FileError{{Message: msg}}}
		}
	}()
	sc, err := load(file)
	if err != nil {
		res := Result{File: file, Status: Invalid, Error: err.Error()}
		var es scenarios.Errors
		var one *scenarios.Error
		switch {
		case errors.As(err, &es):
			res.Error = es.Error()
		case errors.As(err, &one):
			es = scenarios.Errors{one}
		}
		for _, e := range es {
			res.Errors = append(res.Errors, FileError{Line: e.Line, Column: e.Col, Path: e.Path, Message: e.Msg})
		}
		if len(res.Errors) == 0 {
			res.Errors = []FileError{{Message: res.Error}}
		}
		return res
	}
	return Run(ctx, sc, o)
}

// load is scenarios.Load; a test swaps it to check that a panic stays
// with its file.
var load = scenarios.Load

// Run runs one loaded scenario.
func Run(ctx context.Context, sc *scenarios.Scenario, o Options) Result {
	start := time.Now()
	var r Result
	if sc.Impact != nil {
		r = runImpact(ctx, sc, o)
	} else {
		r = runOcean(ctx, sc)
	}
	r.File, r.Name, r.Elapsed = sc.File, sc.Name, time.Since(start)
	r.Status = Pass
	if len(r.Failures) > 0 {
		r.Status = Fail
	}
	return r
}
