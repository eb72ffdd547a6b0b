package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/runner"
	"github.com/postbacksim/postbacksim/scenarios"
)

func (a *app) runCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run [flags] PATH...",
		Short: "run scenario files on the virtual clock (text, json or junit report)",
		Long: `Runs scenario files (or folders of *.yaml, skipping testdata/) on the virtual clock.
Exit code 0: all passed; 1: a scenario failed; 2: a file is invalid.`,
		Example: `  postbacksim run scenarios/
  postbacksim run --format junit --out report.xml scenarios/impact/
  postbacksim run --target https://staging.example/postback --time-scale 3600 scenarios/impact/retries.yaml`,
		Args: cobra.ArbitraryArgs,
	}
	fs := cmd.Flags()
	format := fs.String("format", "text", "report format: `text`, json or junit")
	out := fs.String("out", "", "write the report to `FILE` instead of standard output")
	parallel := fs.Int("parallel", 0, "scenarios run at once (0: one per CPU)")
	target := fs.String("target", "", "send impact deliveries to this real receiver `URL` (replaces {receiver}) on the live clock")
	timeScale := fs.Float64("time-scale", 1, "with --target: run the retry schedule `K` times faster")
	tolerance := durationFlag(fs, "tolerance", 0, "how far each attempt's offset may be from the expected one, per attempt (`D`; default: the file's tolerance, else exact, or with --target 20ms × --time-scale, at least 1s, beyond the receiver's measured latency)")
	completeFlag(cmd, "format", "text", "json", "junit")
	cmd.RunE = a.action(func(ctx context.Context, cmd *cobra.Command, args []string) int {
		stdout, stderr := a.stdout, a.stderr
		if len(args) == 0 {
			fmt.Fprintf(stderr, "postbacksim run: name at least one scenario file or folder\n%s\n", hint(cmd))
			return exitUsage
		}
		write := map[string]func(runner.Report, io.Writer) error{
			"text": runner.Report.WriteText, "json": runner.Report.WriteJSON, "junit": runner.Report.WriteJUnit,
		}[*format]
		if write == nil {
			fmt.Fprintf(stderr, "postbacksim run: --format: %q is not text, json or junit\n", *format)
			return exitUsage
		}
		for _, bad := range []struct {
			when bool
			msg  string
		}{
			{*timeScale <= 0, fmt.Sprintf("--time-scale: %v: want a positive number", *timeScale)},
			{cmd.Flags().Changed("time-scale") && *target == "", "--time-scale applies to live runs: give --target URL too (scripted runs use a virtual clock)"},
			{*parallel < 0, fmt.Sprintf("--parallel: %d is negative (0: one per CPU)", *parallel)},
			{*tolerance < 0, fmt.Sprintf("--tolerance: %v is negative", *tolerance)},
		} {
			if bad.when {
				fmt.Fprintf(stderr, "postbacksim run: %s\n", bad.msg)
				return exitUsage
			}
		}
		rep, err := runner.RunPaths(ctx, args, runner.Options{Parallel: *parallel, Target: *target, TimeScale: *timeScale, Tolerance: *tolerance})
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
	})
	return cmd
}

func (a *app) validateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate PATH...",
		Short: "check scenario files; exit 2 if any is invalid",
		Long: `Checks scenario files (or folders of *.yaml, skipping testdata/) without running them:
each valid file prints "ok  FILE", each invalid one its errors as FILE:LINE:COL.
Exit code 0: all valid; 2: a file is invalid.`,
		Example: `  postbacksim validate scenarios/
  postbacksim validate scenarios/impact/retries.yaml scenarios/ocean/`,
		Args: cobra.ArbitraryArgs,
		RunE: a.action(func(_ context.Context, _ *cobra.Command, args []string) int {
			stdout, stderr := a.stdout, a.stderr
			if len(args) == 0 {
				fmt.Fprintln(stderr, "postbacksim validate: name at least one scenario file or folder")
				return exitUsage
			}
			files, err := scenarios.Find(args)
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
		}),
	}
}
