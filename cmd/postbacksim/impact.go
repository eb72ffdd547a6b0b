package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/macro"
)

func (a *app) impactCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "impact events|render|simulate|export [flags]",
		Short: "impact.com tools: events, render, simulate, export",
		Example: `  postbacksim impact events --event action_cleared
  postbacksim impact render --event job_completed --method GET --url 'https://b.example/j?id={JobId}'
  postbacksim impact simulate --responses 500,timeout,200`,
	}
	a.group(cmd, "events, render, simulate or export")
	cmd.AddCommand(a.impactEventsCmd(), a.impactRenderCmd(), a.impactSimulateCmd(), a.impactExportCmd())
	return cmd
}

func (a *app) impactEventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events [--event NAME] [--json]",
		Short: "list the six events and their fields",
		Example: `  postbacksim impact events
  postbacksim impact events --event action_cleared --json`,
		Args: noArgs,
	}
	event := cmd.Flags().String("event", "", "show only this event")
	completeFlag(cmd, "event", eventNames()...)
	asJSON := cmd.Flags().Bool("json", false, "print JSON")
	cmd.RunE = a.action(func(context.Context, *cobra.Command, []string) int {
		return a.impactEvents(*event, *asJSON)
	})
	return cmd
}

func (a *app) impactEvents(event string, asJSON bool) int {
	stdout, stderr := a.stdout, a.stderr
	specs := fixtures.ImpactEvents()
	if event != "" {
		spec, err := fixtures.LookupEvent(event)
		if err != nil {
			fmt.Fprintf(stderr, "postbacksim impact events: --event: %v\n", err)
			return exitUsage
		}
		specs = []fixtures.EventSpec{spec}
	}
	if asJSON {
		type out struct {
			fixtures.EventSpec
			Fields   []fixtures.Field      `json:"fields"`
			Statuses []fixtures.StatusSpec `json:"statuses,omitempty"`
		}
		all := make([]out, len(specs))
		for i, s := range specs {
			all[i] = out{s, s.Fields(), fixtures.StatusesOf(s.Name)}
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(all)
		return exitOK
	}
	for i, s := range specs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fields := s.Fields()
		fmt.Fprintf(stdout, "%s — %s (%s): sent when %s. %d fields:\n", s.Name, s.English, s.Title, s.When, len(fields))
		if names := fixtures.StatusNames(s.Name); len(names) > 0 {
			fmt.Fprintf(stdout, "  statuses (--status): %s; default %s\n", strings.Join(names, ", "), names[0])
		}
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		for _, f := range fields {
			kind := string(f.Kind)
			if f.Nullable && f.Kind != fixtures.KindCollection {
				kind += " or null"
			}
			fmt.Fprintf(tw, "  {%s}\t%s\t%s (%s)\n", f.Name, kind, f.English, f.Doc)
			for _, e := range f.Elem {
				fmt.Fprintf(tw, "    {i.%s}\t%s (JSON %q)\t%s (%s)\n", e.Name, e.Kind, e.JSONName, e.English, e.Doc)
			}
		}
		tw.Flush()
	}
	return exitOK
}

// postbackFlags are the flags that describe a postback configuration,
// shared by render and simulate.
type postbackFlags struct {
	event, method, url, bodyFile, format string
	headers                              headerFlags
}

// eventNames are the impact.com event names, for completion.
func eventNames() []string { return fixtures.ImpactEventNames() }

// register defines the postback flags on cmd, with their completions.
func (pf *postbackFlags) register(cmd *cobra.Command, defaultURL string) {
	fs := cmd.Flags()
	fs.StringVar(&pf.event, "event", "action_lifecycle", "event `NAME` (see 'postbacksim impact events')")
	fs.StringVar(&pf.method, "method", "POST", "`GET` (data in the query string) or POST (data in the body)")
	fs.StringVar(&pf.url, "url", defaultURL, "URL `TEMPLATE`, macros allowed: https://b.example/pb?aid={ActionId}")
	fs.StringVar(&pf.bodyFile, "body-template", "", "`FILE` holding the body template (default: the event's full payload)")
	fs.StringVar(&pf.format, "body-format", "", "body format: json, form or none (default json for POST, form for GET)")
	fs.Var(&pf.headers, "header", "custom header `Name: value`, macros allowed in the value (repeatable)")
	completeFlag(cmd, "event", eventNames()...)
	completeFlag(cmd, "method", "GET", "POST")
	completeFlag(cmd, "body-format", "json", "form", "none")
}

// postback builds the configuration; a template error from the body file
// reads FILE:LINE:COL, like a compiler's.
func (pf *postbackFlags) postback() (mockimpact.Postback, error) {
	p := mockimpact.Postback{Event: pf.event, URL: pf.url, Method: pf.method, Format: pf.format, Headers: pf.headers.m}
	if pf.bodyFile != "" {
		b, err := os.ReadFile(pf.bodyFile)
		if err != nil {
			return p, fmt.Errorf("--body-template: %w", err)
		}
		p.Body = strings.TrimSuffix(string(b), "\n")
	}
	return p, nil
}

func (pf *postbackFlags) explain(err error) error {
	var me *macro.Error
	if pf.bodyFile != "" && errors.As(err, &me) && me.Template == "body" {
		me.Template = pf.bodyFile
		return me
	}
	return err
}

func (a *app) impactRenderCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "render --event NAME [flags]",
		Short: "print the request impact would send for an event",
		Long: `Prints the HTTP request impact.com would send for a generated event with this postback
configuration: method, URL, headers and body, the macros filled in.`,
		Example: `  postbacksim impact render --event action_lifecycle
  postbacksim impact render --event job_completed --method GET --url 'https://b.example/j?id={JobId}'
  postbacksim impact render --body-template body.tpl --body-format json --header 'X-Token: {ActionId}'
  postbacksim impact render --event action_lifecycle --status REVERSED --seed 7`,
		Args: noArgs,
	}
	var pf postbackFlags
	pf.register(cmd, "https://brand.example/postback")
	// --format was render's name for the body format before simulate's
	// --format (the output format) made it ambiguous.
	cmd.Flags().StringVar(&pf.format, "format", "", "body format (deprecated: use --body-format)")
	_ = cmd.Flags().MarkDeprecated("format", "use --body-format")
	seed := cmd.Flags().Int64("seed", fixtures.DefaultSeed, "seed of the generated event (same seed, same event)")
	status := statusFlag(cmd)
	cmd.RunE = a.action(func(_ context.Context, cmd *cobra.Command, _ []string) int {
		if cmd.Flags().Changed("format") && cmd.Flags().Changed("body-format") {
			fmt.Fprintln(a.stderr, "postbacksim impact render: --format is the old name of --body-format: give --body-format only")
			return exitUsage
		}
		return a.impactRender(&pf, *seed, *status)
	})
	return cmd
}

// statusFlag defines --status, the status of the generated event, with
// the statuses of every event as completions.
func statusFlag(cmd *cobra.Command) *string {
	var names []string
	byEvent := map[string][]string{}
	var events []string
	for _, s := range fixtures.ImpactStatuses() {
		if !slices.Contains(names, s.Status) {
			names = append(names, s.Status)
		}
		if _, ok := byEvent[s.Event]; !ok {
			events = append(events, s.Event)
		}
		byEvent[s.Event] = append(byEvent[s.Event], s.Status)
	}
	var parts []string
	for _, e := range events {
		parts = append(parts, strings.Join(byEvent[e], ", ")+" ("+e+")")
	}
	status := cmd.Flags().String("status", "", "`STATUS` of the generated event: "+strings.Join(parts, "; ")+"; default the event's first")
	completeFlag(cmd, "status", names...)
	return status
}

func (a *app) impactRender(pf *postbackFlags, seed int64, status string) int {
	stdout, stderr := a.stdout, a.stderr
	p, err := pf.postback()
	if err != nil {
		fmt.Fprintf(stderr, "postbacksim impact render: %v\n", err)
		return exitUsage
	}
	c, err := mockimpact.Compile(p)
	if err != nil {
		fmt.Fprintf(stderr, "postbacksim impact render: %v\n", pf.explain(err))
		return exitUsage
	}
	if err := fixtures.CheckStatus(pf.event, status); err != nil {
		fmt.Fprintf(stderr, "postbacksim impact render: --status: %v\n", err)
		return exitUsage
	}
	ev, err := fixtures.Generate(pf.event, fixtures.GenOptions{Seed: seed, Status: status}, fixtures.DefaultImpactTime)
	if err != nil {
		fmt.Fprintf(stderr, "postbacksim impact render: %v\n", err)
		return exitFail
	}
	r, err := c.Render(ev)
	if err != nil {
		fmt.Fprintf(stderr, "postbacksim impact render: %v\n", err)
		return exitFail
	}
	fmt.Fprint(stdout, r.Wire())
	if err := mockimpact.CheckURL(r.URL); err != nil {
		fmt.Fprintf(stderr, "note: impact would not send this: %v (classified invalid_url, never retried)\n", err)
	}
	return exitOK
}

// headerFlags collects repeated --header "Name: value" flags.
type headerFlags struct{ m map[string]string }

// String is empty: the flag has no default.
func (h *headerFlags) String() string { return "" }

// Type names the flag's value in help and completion.
func (h *headerFlags) Type() string { return "header" }

// Set adds one "Name: value" header.
func (h *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("%q: want Name: value", v)
	}
	if h.m == nil {
		h.m = map[string]string{}
	}
	h.m[strings.TrimSpace(name)] = strings.TrimSpace(value)
	return nil
}
