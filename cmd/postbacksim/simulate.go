package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
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

func runImpactSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("impact simulate", `impact simulate [flags]

Runs one delivery through impact.com's retry schedule and prints its attempt timeline.
With --responses, a scripted receiver answers each attempt in memory, on a virtual
clock: the whole 30h51m45s schedule prints at once. With --url and no --responses, it
sends for real to that URL, --time-scale K times faster than real time.`, stderr)
	var pf postbackFlags
	pf.register(fs, "body-format", "")
	seed := fs.Int64("seed", fixtures.DefaultSeed, "seed of the generated event")
	responses := fs.String("responses", "", "scripted answers, one per attempt, the last repeating: `LIST` of 500, 200:ERROR, timeout, reset, refused, dns, slow_body")
	success := fs.String("success", "", "success response: a status (200) or a body text (OK); default any 2xx")
	errResp := fs.String("error", "", "error response: a status (500) or a body text (ERROR)")
	minDelay := fs.Duration("min-delay", 0, "minimum delay before the first attempt")
	maxRPS := fs.Float64("max-rps", 0, "max requests per second (0: no cap)")
	timeout := fs.Duration("timeout", mockimpact.DefaultTimeout, "per-attempt timeout")
	timeScale := fs.Float64("time-scale", 1, "live mode: run the schedule `K` times faster than real time")
	outFormat := fs.String("format", "text", "output: `text` or json")
	if code, ok := parseFlags(fs, args, false); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "postbacksim impact simulate: "+format+"\n", a...)
		return code
	}
	if *outFormat != "text" && *outFormat != "json" {
		return fail(exitUsage, "--format: %q is not text or json", *outFormat)
	}
	live := pf.url != "" && *responses == ""
	if pf.url == "" {
		pf.url = "https://brand.example/postback"
	}
	if *responses == "" {
		*responses = "200"
	}
	p, err := pf.postback()
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	p.MinDelay, p.MaxRPS, p.Timeout = clock.Duration(*minDelay), *maxRPS, clock.Duration(*timeout)
	if p.Success, err = mockimpact.ParseMatcher(*success); err != nil {
		return fail(exitUsage, "--success: %v", err)
	}
	if p.Error, err = mockimpact.ParseMatcher(*errResp); err != nil {
		return fail(exitUsage, "--error: %v", err)
	}
	steps, err := mockimpact.ParseSteps(*responses)
	if err != nil {
		return fail(exitUsage, "--responses: %v", err)
	}

	opts := mockimpact.Options{}
	receiver := "scripted: " + *responses + " (the last repeating), virtual clock"
	var vc *clock.Virtual
	if live {
		if *timeScale <= 0 {
			return fail(exitUsage, "--time-scale: %v: want a positive number", *timeScale)
		}
		opts.Clock = clock.NewScaled(*timeScale)
		receiver = fmt.Sprintf("live, time scale %g", *timeScale)
		if *outFormat == "text" {
			opts.OnAttempt = func(a mockimpact.Attempt) { fmt.Fprintf(stdout, "  attempt %d: %s\n", a.N, describe(a)) }
		}
	} else {
		vc = clock.NewVirtual(time.Time{})
		script := mockimpact.NewScript(steps...)
		opts.Clock, opts.Transport, opts.Resolver = vc, script, script
	}
	d := mockimpact.NewDispatcher(opts)
	defer d.Close()
	if _, err := d.Configure(p); err != nil {
		return fail(exitUsage, "%v", pf.explain(err))
	}
	ev, err := fixtures.NewImpactGen(*seed, d.Clock().Now()).Event(p.Event)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	id, err := d.Fire(ev)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	if live {
		dl, _ := d.Delivery(id)
		if *outFormat == "text" {
			fmt.Fprintf(stdout, "sending %s to %s %s (%s); Ctrl-C stops\n", p.Event, dl.Request.Method, dl.Request.URL, receiver)
		}
		if err := d.WaitIdle(ctx); err != nil {
			fmt.Fprintf(stderr, "stopped: %d pending delivery cancelled\n", d.Close())
		}
	} else {
		vc.RunUntilIdle(0)
	}
	dl, _ := d.Delivery(id)
	return printSimulation(stdout, *outFormat, dl, receiver, live)
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
