package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
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
		"events":   runImpactEvents,
		"render":   runImpactRender,
		"simulate": runImpactSimulate,
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		fmt.Fprintln(w, "Usage: postbacksim impact events|render|simulate [flags]\n\n  events     list the six events and their fields\n  render     print the request impact would send for an event\n  simulate   run one delivery through the retry schedule and print its timeline\n\nRun 'postbacksim impact SUBCOMMAND --help' for its flags.")
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	run, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "postbacksim impact: unknown subcommand %q (want events, render or simulate)\n", args[0])
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
	specs := fixtures.ImpactEvents()
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

// postbackFlags are the flags that describe a postback configuration,
// shared by render and simulate.
type postbackFlags struct {
	event, method, url, bodyFile, format string
	headers                              headerFlags
}

func (pf *postbackFlags) register(fs *flag.FlagSet, formatFlag, defaultURL string) {
	fs.StringVar(&pf.event, "event", "action_lifecycle", "event `NAME` (see 'postbacksim impact events')")
	fs.StringVar(&pf.method, "method", "POST", "`GET` (data in the query string) or POST (data in the body)")
	fs.StringVar(&pf.url, "url", defaultURL, "URL `TEMPLATE`, macros allowed: https://b.example/pb?aid={ActionId}")
	fs.StringVar(&pf.bodyFile, "body-template", "", "`FILE` holding the body template (default: the event's full payload)")
	fs.StringVar(&pf.format, formatFlag, "", "body format: json, form or none (default json for POST, form for GET)")
	fs.Var(&pf.headers, "header", "custom header `Name: value`, macros allowed in the value (repeatable)")
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

func runImpactRender(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("impact render", "impact render --event NAME [flags]", stderr)
	var pf postbackFlags
	pf.register(fs, "format", "https://brand.example/postback")
	seed := fs.Int64("seed", fixtures.DefaultSeed, "seed of the generated event (same seed, same event)")
	if code, ok := parseFlags(fs, args, false); !ok {
		return code
	}
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
	ev, err := fixtures.NewImpactGen(*seed, fixtures.DefaultImpactTime).Event(pf.event)
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
