package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/postbacksim/postbacksim/runner"
	"github.com/postbacksim/postbacksim/scenarios"
)

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", `run [flags] PATH...

Runs scenario files (or folders of *.yaml, skipping testdata/) on the virtual clock.
Exit code 0: all passed; 1: a scenario failed; 2: a file is invalid.`, stderr)
	format := fs.String("format", "text", "report format: `text`, json or junit")
	out := fs.String("out", "", "write the report to `FILE` instead of standard output")
	parallel := fs.Int("parallel", 0, "scenarios run at once (0: one per CPU)")
	target := fs.String("target", "", "send impact deliveries to this real receiver `URL` (replaces {receiver}) on the live clock")
	timeScale := fs.Float64("time-scale", 1, "with --target: run the retry schedule `K` times faster")
	if code, ok := parseFlags(fs, args, true); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "postbacksim run: name at least one scenario file or folder")
		fs.Usage()
		return exitUsage
	}
	write := map[string]func(runner.Report, io.Writer) error{
		"text": runner.Report.WriteText, "json": runner.Report.WriteJSON, "junit": runner.Report.WriteJUnit,
	}[*format]
	if write == nil {
		fmt.Fprintf(stderr, "postbacksim run: --format: %q is not text, json or junit\n", *format)
		return exitUsage
	}
	if *timeScale <= 0 || *parallel < 0 {
		fmt.Fprintln(stderr, "postbacksim run: --time-scale must be positive and --parallel not negative")
		return exitUsage
	}
	rep, err := runner.RunPaths(ctx, fs.Args(), runner.Options{Parallel: *parallel, Target: *target, TimeScale: *timeScale})
	if err != nil {
		fmt.Fprintf(stderr, "postbacksim run: %v\n", err)
		return exitUsage
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "postbacksim run: --out: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		w = f
	}
	if err := write(rep, w); err != nil {
		fmt.Fprintf(stderr, "postbacksim run: writing the report: %v\n", err)
		return exitFail
	}
	if *out != "" {
		fmt.Fprintf(stdout, "%d passed, %d failed, %d invalid: report in %s\n", rep.Passed, rep.Failed, rep.Invalid, *out)
	}
	return rep.ExitCode()
}

func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "validate PATH...  (scenario files or folders)", stderr)
	if code, ok := parseFlags(fs, args, true); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "postbacksim validate: name at least one scenario file or folder")
		return exitUsage
	}
	files, err := scenarios.Find(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "postbacksim validate: %v\n", err)
		return exitUsage
	}
	bad := 0
	for _, f := range files {
		if _, err := scenarios.Load(f); err != nil {
			bad++
			fmt.Fprintln(stderr, err)
			continue
		}
		fmt.Fprintf(stdout, "ok  %s\n", f)
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "%d of %d file(s) invalid\n", bad, len(files))
		return exitUsage
	}
	return exitOK
}
