package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/macro"
)

func runImpact(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	subs := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"events": runImpactEvents,
		"render": runImpactRender,
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		fmt.Fprintln(w, "Usage: postbacksim impact events|render [flags]\n\n  events   list the six events and their fields\n  render   print the request impact would send for an event\n\nRun 'postbacksim impact SUBCOMMAND --help' for its flags.")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	run, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "postbacksim impact: unknown subcommand %q (want events or render)\n", args[0])
		return exitUsage
	}
	return run(ctx, args[1:], stdout, stderr)
}

func runImpactEvents(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("impact events", "impact events [--event NAME] [--json]", stderr)
	event := fs.String("event", "", "show only this event")
	asJSON := fs.Bool("json", false, "print JSON")
	if code, ok := parseFlags(fs, args, false); !ok {
		return code
	}
	specs := fixtures.ImpactEvents
	if *event != "" {
		spec, err := fixtures.LookupEvent(*event)
		if err != nil {
			fmt.Fprintf(stderr, "postbacksim impact events: --event: %v\n", err)
			return exitUsage
		}
		specs = []fixtures.EventSpec{spec}
	}
	if *asJSON {
		type out struct {
			fixtures.EventSpec
			Fields []fixtures.Field `json:"fields"`
		}
		all := make([]out, len(specs))
		for i, s := range specs {
			all[i] = out{s, s.Fields()}
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
		tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
		for _, f := range fields {
			kind := string(f.Kind)
			if f.Nullable && f.Kind != fixtures.KindCollection {
				kind += " or null"
			}
			fmt.Fprintf(tw, "  {%s}\t%s\t%s\n", f.Name, kind, f.Doc)
			for _, e := range f.Elem {
				fmt.Fprintf(tw, "    {i.%s}\t%s (JSON %q)\t%s\n", e.Name, e.Kind, e.JSONName, e.Doc)
			}
		}
		tw.Flush()
	}
	return exitOK
}

func runImpactRender(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("impact render", "impact render --event NAME [flags]", stderr)
	event := fs.String("event", "action_lifecycle", "event `NAME` (see 'postbacksim impact events')")
	seed := fs.Int64("seed", fixtures.DefaultSeed, "seed of the generated event (same seed, same event)")
	method := fs.String("method", "POST", "`GET` (data in the query string) or POST (data in the body)")
	urlTpl := fs.String("url", "https://brand.example/postback", "URL `TEMPLATE`, macros allowed: https://b.example/pb?aid={ActionId}")
	bodyFile := fs.String("body-template", "", "`FILE` holding the body template (default: the event's full payload)")
	format := fs.String("format", "", "body format: json, form or none (default json for POST, form for GET)")
	var headers headerFlags
	fs.Var(&headers, "header", "custom header `Name: value`, macros allowed in the value (repeatable)")
	if code, ok := parseFlags(fs, args, false); !ok {
		return code
	}
	p := mockimpact.Postback{Event: *event, URL: *urlTpl, Method: *method, Format: *format, Headers: headers.m}
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			fmt.Fprintf(stderr, "postbacksim impact render: --body-template: %v\n", err)
			return exitUsage
		}
		p.Body = strings.TrimSuffix(string(b), "\n")
	}
	c, err := mockimpact.Compile(p)
	if err != nil {
		var me *macro.Error
		if *bodyFile != "" && errors.As(err, &me) && me.Template == "body" {
			me.Template = *bodyFile // FILE:LINE:COL, like a compiler
			err = me
		}
		fmt.Fprintf(stderr, "postbacksim impact render: %v\n", err)
		return exitUsage
	}
	ev, err := fixtures.NewImpactGen(*seed, fixtures.DefaultImpactTime).Event(*event)
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

func (h *headerFlags) String() string { return "" }

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
