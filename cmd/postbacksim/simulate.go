package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/runner"
)

// simulation is the JSON form of `impact simulate`'s result.
type simulation struct {
	Event    string               `json:"event"`
	URL      string               `json:"url"`
	Outcome  string               `json:"outcome"`
	Attempts []simulatedTry       `json:"attempts"`
	Receiver string               `json:"receiver"`
	Request  *mockimpact.Rendered `json:"request,omitempty"`
}

type simulatedTry struct {
	N             int     `json:"n"`
	OffsetSeconds float64 `json:"offset_seconds"`
	Outcome       string  `json:"outcome"`
	Status        int     `json:"status,omitempty"`
	ErrorKind     string  `json:"error_kind,omitempty"`
	Retry         bool    `json:"retry"`
	RateLimitedS  float64 `json:"rate_limited_seconds,omitempty"`
	LatencyS      float64 `json:"latency_seconds,omitempty"`
}

func (a *app) impactSimulateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "simulate [flags]",
		Short: "run one delivery through the retry schedule and print its timeline",
		Long: `Runs one delivery through impact.com's retry schedule and prints its attempt timeline.
With --responses, a scripted receiver answers each attempt in memory, on a virtual
clock: the whole 30h51m45s schedule prints at once. With --url and no --responses, it
sends for real to that URL, --time-scale K times faster than real time.`,
		Example: `  postbacksim impact simulate --responses 500,timeout,200:ERROR,200 --error ERROR
  postbacksim impact simulate --responses 500 --format json
  postbacksim impact simulate --event publisher_application --status PENDING --responses 200
  postbacksim impact simulate --url 'https://staging.example/pb?aid={ActionId}' --method GET --body-format none --time-scale 3600`,
		Args: noArgs,
	}
	var pf postbackFlags
	fs := cmd.Flags()
	pf.register(cmd, "")
	seed := fs.Int64("seed", fixtures.DefaultSeed, "seed of the generated event")
	status := statusFlag(cmd)
	responses := fs.String("responses", "", "scripted answers, one per attempt, the last repeating: `LIST` of 500, 200:ERROR, timeout, reset, refused, dns, slow_body")
	success := fs.String("success", "", "success response: a status (200, not 400–599) or the text that is the whole body, trimmed (OK); default any 2xx")
	errResp := fs.String("error", "", "error response: a status (500) or a text the body contains (ERROR; it wins over the success text)")
	minDelay := durationFlag(fs, "min-delay", 0, "minimum delay before the first attempt")
	maxRPS := fs.Float64("max-rps", 0, "max requests per second (0: no cap)")
	timeout := durationFlag(fs, "timeout", mockimpact.DefaultTimeout, "per-attempt timeout")
	timeScale := fs.Float64("time-scale", 1, "live mode: run the schedule `K` times faster than real time")
	outFormat := fs.String("format", "text", "output: `text` or json")
	completeFlag(cmd, "format", "text", "json")
	cmd.RunE = a.action(func(ctx context.Context, _ *cobra.Command, _ []string) int {
		return a.impactSimulate(ctx, &pf, simulateFlags{*seed, *status, *responses, *success, *errResp, *minDelay, *maxRPS, *timeout, *timeScale, *outFormat})
	})
	return cmd
}

// simulateFlags are simulate's flags beyond the postback's.
type simulateFlags struct {
	seed                        int64
	status                      string
	responses, success, errResp string
	minDelay                    time.Duration
	maxRPS                      float64
	timeout                     time.Duration
	timeScale                   float64
	outFormat                   string
}

func (a *app) impactSimulate(ctx context.Context, pf *postbackFlags, f simulateFlags) int {
	stdout, stderr := a.stdout, a.stderr
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "postbacksim impact simulate: "+format+"\n", a...)
		return code
	}
	if f.outFormat != "text" && f.outFormat != "json" {
		return fail(exitUsage, "--format: %q is not text or json", f.outFormat)
	}
	live := pf.url != "" && f.responses == ""
	if pf.url == "" {
		pf.url = "https://brand.example/postback"
	}
	if f.responses == "" {
		f.responses = "200"
	}
	p, err := pf.postback()
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	p.MinDelay, p.MaxRPS, p.Timeout = clock.Duration(f.minDelay), f.maxRPS, clock.Duration(f.timeout)
	if p.Success, err = mockimpact.ParseMatcher(f.success); err != nil {
		return fail(exitUsage, "--success: %v", err)
	}
	if p.Error, err = mockimpact.ParseMatcher(f.errResp); err != nil {
		return fail(exitUsage, "--error: %v", err)
	}
	steps, err := mockimpact.ParseSteps(f.responses)
	if err != nil {
		return fail(exitUsage, "--responses: %v", err)
	}

	if err := fixtures.CheckStatus(p.Event, f.status); err != nil {
		return fail(exitUsage, "--status: %v", err)
	}
	setup := runner.DeliverySetup{Postback: p, Seed: f.seed, Status: f.status, Receiver: steps, Live: live, TimeScale: f.timeScale}
	receiver := "scripted: " + f.responses + " (the last repeating), virtual clock"
	if live {
		if f.timeScale <= 0 {
			return fail(exitUsage, "--time-scale: %v: want a positive number", f.timeScale)
		}
		receiver = fmt.Sprintf("live, time scale %g", f.timeScale)
		if f.outFormat == "text" {
			setup.OnAttempt = func(a mockimpact.Attempt) { fmt.Fprintf(stdout, "  attempt %d: %s\n", a.N, describe(a)) }
			setup.OnFire = func(dl mockimpact.Delivery) {
				fmt.Fprintf(stdout, "sending %s to %s %s (%s); Ctrl-C stops\n", p.Event, dl.Request.Method, dl.Request.URL, receiver)
			}
		}
	}
	got, err := runner.Deliver(ctx, setup)
	var de *runner.DeliverError
	if errors.As(err, &de) {
		switch de.Stage {
		case runner.StageConfigure:
			return fail(exitUsage, "%v", pf.explain(de.Err))
		case runner.StageEvent:
			return fail(exitUsage, "%v", de.Err)
		case runner.StageWait:
			fmt.Fprintf(stderr, "stopped: %d pending delivery cancelled\n", got.Cancelled)
		default:
			return fail(exitFail, "%v", de.Err)
		}
	} else if err != nil {
		return fail(exitFail, "%v", err)
	}
	dl := got.Deliveries[0]
	code := printSimulation(stdout, f.outFormat, dl, receiver, live)
	for _, up := range got.Deliveries[1:] {
		if up.UpdateOf != "" && f.outFormat == "text" {
			fmt.Fprintf(stdout, "update delivery (the PENDING application's empty data points filled), fired %v after the first: %s after %d attempt(s)\n",
				up.Fired.Sub(dl.Fired), up.Outcome, len(up.Attempts))
		}
	}
	return code
}

func describe(a mockimpact.Attempt) string {
	answer := fmt.Sprint(a.Status)
	if a.ErrorKind != "" {
		answer = a.ErrorKind
	} else if a.Error != "" {
		answer = a.Error
	} else if a.ResponseBody != "" {
		answer += " " + fmt.Sprintf("%q", strings.TrimSpace(a.ResponseBody))
	}
	next := "final"
	if a.Retry {
		next = "retry in " + mockimpact.RetryDelay(a.N).String()
	}
	return fmt.Sprintf("%s (%s), %s", a.Outcome, answer, next)
}

func printSimulation(w io.Writer, format string, dl mockimpact.Delivery, receiver string, live bool) int {
	sim := simulation{Event: dl.Event, URL: dl.Request.URL, Outcome: string(dl.Outcome), Receiver: receiver, Attempts: []simulatedTry{}}
	for _, a := range dl.Attempts {
		sim.Attempts = append(sim.Attempts, simulatedTry{
			N: a.N, OffsetSeconds: a.Offset.Seconds(), Outcome: string(a.Outcome), Status: a.Status, ErrorKind: a.ErrorKind,
			Retry: a.Retry, RateLimitedS: a.RateLimited.Seconds(), LatencyS: a.Latency.Seconds(),
		})
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sim)
		return exitOK
	}
	if !live {
		fmt.Fprintf(w, "%s → %s %s\nreceiver: %s\n\n", dl.Event, dl.Request.Method, dl.Request.URL, receiver)
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "  n\toffset\tseconds\toutcome / answer / next")
		for _, a := range dl.Attempts {
			fmt.Fprintf(tw, "  %d\t%v\t%g\t%s\n", a.N, a.Offset, a.Offset.Seconds(), describe(a))
		}
		tw.Flush()
	}
	span := time.Duration(0)
	if n := len(dl.Attempts); n > 0 {
		span = dl.Attempts[n-1].Offset
	}
	fmt.Fprintf(w, "\noutcome: %s after %d attempt(s) over %v\n", dl.Outcome, len(dl.Attempts), span)
	return exitOK
}
