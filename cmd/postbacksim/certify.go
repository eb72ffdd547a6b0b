package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/certify"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

func (a *app) certifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "certify COMMAND [flags]",
		Short:   "certify a partner's real endpoint: a report card for an impact.com receiver",
		Example: "  postbacksim certify impact --target https://brand.example/postback --success OK",
	}
	a.group(cmd, "impact")
	cmd.AddCommand(a.certifyImpactCmd())
	return cmd
}

func (a *app) certifyImpactCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "impact --target URL [flags]",
		Short: "send a battery of impact.com postbacks to your receiver and grade its answers",
		Long: `Sends your receiver the postbacks impact.com would: each of the six events as GET
(query string), POST JSON and POST form, in each documented status the generators
produce; the same event twice (a retry after a lost answer); values with Chinese,
accents, emoji, & = + and quotes; unknown extra fields. Each answer must match the
success response within the 30 s timeout; redirects are not followed.
Exit status: 0 when no check fails, 1 otherwise, 2 for a usage error.
Reference: docs/certify.md.`,
		Example: `  postbacksim certify impact --target https://brand.example/postback
  postbacksim certify impact --target 'https://brand.example/pb?aid={ActionId}' --event action_lifecycle --method GET --success OK
  postbacksim certify impact --target https://brand.example/postback --format junit --out certify.xml`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	target := fs.String("target", "", "your receiver's `URL`; may hold macros such as {ActionId}")
	events := fs.StringArray("event", nil, "certify only this event (repeatable; default: all six)")
	method := fs.String("method", "", "send only GET or POST (default: both)")
	success := fs.String("success", "", "the success response configured at impact: a status (200) or the text that is the whole body, trimmed (OK); default any 2xx")
	format := fs.String("format", "text", "report format: text, json, junit or html")
	out := fs.String("out", "", "write the report to `FILE` instead of stdout")
	scale := fs.Float64("time-scale", 1, "divide the 30 s timeout and the 5 s slow-answer warning by `K` (for tests)")
	seed := fs.Int64("seed", 0, "seed of the generated events; the report says which was used, and the same seed sends the same payloads again (default: a fresh one each run, so a receiver that remembers the ids it saw is not sent them twice)")
	completeFlag(cmd, "event", fixtures.ImpactEventNames()...)
	completeFlag(cmd, "method", "GET", "POST")
	completeFlag(cmd, "format", certify.Formats()...)
	cmd.RunE = a.action(func(ctx context.Context, _ *cobra.Command, _ []string) int {
		usage := func(format string, args ...any) int {
			fmt.Fprintf(a.stderr, "postbacksim certify impact: "+format+"\n", args...)
			return exitUsage
		}
		if *target == "" {
			return usage("--target is required")
		}
		if !slices.Contains(certify.Formats(), *format) {
			return usage("--format %q: want %s", *format, strings.Join(certify.Formats(), ", "))
		}
		if *scale <= 0 {
			return usage("--time-scale %v: want a positive factor", *scale)
		}
		m, err := mockimpact.ParseMatcher(*success)
		if err != nil {
			return usage("--success: %v", err)
		}
		for _, ev := range *events {
			if !slices.Contains(fixtures.ImpactEventNames(), ev) {
				return usage("--event %q: not one of %s%s", ev, strings.Join(fixtures.ImpactEventNames(), ", "), didYouMean(ev, fixtures.ImpactEventNames()))
			}
		}
		if u, err := url.Parse(*target); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			msg := fmt.Sprintf("--target %q: want the receiver's http(s) URL, such as https://brand.example/postback", *target)
			if !strings.Contains(*target, "://") {
				msg += fmt.Sprintf(" (did you mean %q?)", "http://"+*target)
			}
			return usage("%s", msg)
		}
		// A macro that none of the events knows is a typo in --target,
		// not a fault of the receiver.
		names := *events
		if len(names) == 0 {
			names = fixtures.ImpactEventNames()
		}
		var firstErr error
		compiled := 0
		for _, ev := range names {
			if _, err := mockimpact.Compile(mockimpact.Postback{Event: ev, URL: *target, Method: "GET", Format: "none"}); err != nil {
				firstErr = cmp.Or(firstErr, err)
				continue
			}
			compiled++
		}
		if compiled == 0 && firstErr != nil {
			return usage("--target: %v", firstErr)
		}
		if *seed == 0 {
			*seed = rand.Int64N(1<<53) + 1 // printable exactly in JSON numbers
		}
		rep, err := certify.Run(ctx, certify.Options{
			Target: *target, Events: *events, Method: *method, Success: m, TimeScale: *scale, Seed: *seed, Version: version,
		})
		var ue *certify.UsageError
		switch {
		case errors.As(err, &ue):
			return usage("%v", ue)
		case err != nil:
			fmt.Fprintf(a.stderr, "postbacksim certify impact: %v\n", err)
			return exitFail
		}
		var w io.Writer = a.stdout
		if *out != "" {
			f, err := os.Create(*out)
			if err != nil {
				fmt.Fprintf(a.stderr, "postbacksim certify impact: %v\n", err)
				return exitFail
			}
			defer f.Close()
			w = f
		}
		if err := rep.Write(w, *format); err != nil {
			fmt.Fprintf(a.stderr, "postbacksim certify impact: %v\n", err)
			return exitFail
		}
		if *out != "" {
			fmt.Fprintf(a.stderr, "%d passed, %d warned, %d failed (seed %d); report in %s\n", rep.Passed, rep.Warned, rep.Failed, rep.Seed, *out)
		}
		if !rep.OK() {
			return exitFail
		}
		return exitOK
	})
	return cmd
}
