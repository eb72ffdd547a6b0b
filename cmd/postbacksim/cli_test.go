package main

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

func TestVersionFlag(t *testing.T) {
	code, out, errs := runCLI("--version")
	if code != exitOK || out != "postbacksim dev\n" || errs != "" {
		t.Fatalf("--version: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, sub, _ := runCLI("version"); sub != out {
		t.Fatalf("version prints %q, --version %q", sub, out)
	}
}

func TestMistypedCommandSuggests(t *testing.T) {
	code, out, errs := runCLI("serv")
	if code != exitUsage || out != "" || !strings.Contains(errs, `unknown command "serv"`) || !strings.Contains(errs, "Did you mean this?\n\tserve\n") {
		t.Fatalf("serv: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = runCLI("impact", "simulat")
	if code != exitUsage || !strings.Contains(errs, `unknown subcommand "simulat" (want events, render, simulate or export)`) || !strings.Contains(errs, `(did you mean "impact simulate"?)`) {
		t.Fatalf("impact simulat: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runCLI("ocean", "catalgo")
	if code != exitUsage || !strings.Contains(errs, `(did you mean "ocean catalog"?)`) {
		t.Fatalf("ocean catalgo: exit %d, stderr %q", code, errs)
	}
}

func TestUnknownFlagIsOneLineWithASuggestion(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--adr", "127.0.0.1:0"}, "postbacksim serve: unknown flag --adr (did you mean --addr?)\nRun 'postbacksim serve --help' for usage.\n"},
		{[]string{"serve", "-adr", "127.0.0.1:0"}, "postbacksim serve: unknown flag -adr (did you mean --addr?)\nRun 'postbacksim serve --help' for usage.\n"},
		{[]string{"serve", "--adr=127.0.0.1:0"}, "postbacksim serve: unknown flag --adr (did you mean --addr?)\nRun 'postbacksim serve --help' for usage.\n"},
		{[]string{"impact", "simulate", "--fromat", "json"}, "postbacksim impact simulate: unknown flag --fromat (did you mean --format?)\nRun 'postbacksim impact simulate --help' for usage.\n"},
		{[]string{"run", "--zzzzzz"}, "postbacksim run: unknown flag --zzzzzz\nRun 'postbacksim run --help' for usage.\n"},
	}
	for _, c := range cases {
		code, out, errs := runCLI(c.args...)
		if code != exitUsage || out != "" || errs != c.want {
			t.Errorf("postbacksim %v: exit %d, stdout %q\nstderr %q\nwant   %q", c.args, code, out, errs, c.want)
		}
	}
}

func TestHelpListsFlags(t *testing.T) {
	for _, args := range [][]string{{"validate", "--help"}, {"schema", "--help"}, {"schema", "-h"}, {"help", "validate"}} {
		code, out, errs := runCLI(args...)
		if code != exitOK || errs != "" || !strings.Contains(out, "\nFlags:\n") || !strings.Contains(out, "-h, --help") {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", args, code, errs, out)
		}
	}
	code, out, _ := runCLI("impact", "render", "--help")
	if code != exitOK || !strings.Contains(out, "--body-format string") || strings.Contains(out, "--format") {
		t.Errorf("render --help should list --body-format and hide the deprecated --format:\n%s", out)
	}
}

// TestEveryCommandHasExamples walks the command tree, so that a new
// command cannot forget its examples or flag list.
func TestEveryCommandHasExamples(t *testing.T) {
	t.Setenv("COLUMNS", "")
	root := (&app{stdout: io.Discard, stderr: io.Discard}).newRoot()
	root.InitDefaultHelpCmd() // cobra adds it when executing
	n := 0
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Hidden {
			return
		}
		n++
		path := strings.Fields(c.CommandPath())[1:]
		code, out, errs := runCLI(append(path, "--help")...)
		if c.Example == "" || code != exitOK || errs != "" || !strings.Contains(c.Example, "postbacksim") || !strings.Contains(out, "\nExamples:\n  ") || !strings.Contains(out, "\nFlags:\n") {
			t.Errorf("%q --help: exit %d, stderr %q, want Examples and Flags sections:\n%s", c.CommandPath(), code, errs, out)
		}
		// The flags are wrapped to 100 columns, descriptions in one column.
		_, flags, _ := strings.Cut(out, "\nFlags:\n")
		flags, _, _ = strings.Cut(flags, "\n\n")
		column := -1
		for _, line := range strings.Split(flags, "\n") {
			if n := utf8.RuneCountInString(line); n > 100 {
				t.Errorf("%q --help: a flag line of %d columns: %q", c.CommandPath(), n, line)
			}
			start := len(line) - len(strings.TrimLeft(line, " "))
			if start <= 6 && strings.HasPrefix(line[start:], "-") { // a flag, not a wrapped description
				i := start + strings.Index(line[start:], "   ")
				for i >= start && i < len(line) && line[i] == ' ' {
					i++
				}
				if col := utf8.RuneCountInString(line[:i]); column >= 0 && col != column {
					t.Errorf("%q --help: the description of %q starts at column %d, the others' at %d", c.CommandPath(), strings.TrimSpace(line[:i]), col, column)
				} else {
					column = col
				}
			}
		}
	}
	walk(root)
	if n < 20 {
		t.Fatalf("walked %d commands; the tree has more", n)
	}
}

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "# bash completion V2 for postbacksim",
		"zsh":  "#compdef postbacksim",
		"fish": "complete -c postbacksim",
	} {
		code, out, errs := runCLI("completion", shell)
		if code != exitOK || errs != "" || !strings.Contains(out, want) || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s: exit %d, stderr %q, stdout starts %.200q", shell, code, errs, out)
		}
	}
	if code, _, errs := runCLI("completion", "powershel"); code != exitUsage || !strings.Contains(errs, `unknown subcommand "powershel" (want bash, zsh or fish)`) {
		t.Errorf("completion powershel: exit %d, %s", code, errs)
	}
	// The scripts call the hidden __complete command: it must answer
	// through run, single-dash rewriting and all.
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "ser"}, []string{"serve"}},
		{[]string{"__complete", "serve", "--ad"}, []string{"--addr", "--admin-token"}},
		{[]string{"__complete", "impact", "render", "--body-format", ""}, []string{"json", "form", "none"}},
		{[]string{"__complete", "run", "--format", ""}, []string{"text", "json", "junit"}},
	} {
		code, out, _ := runCLI(c.args...)
		var got []string
		for _, line := range strings.Split(out, "\n") {
			if line != "" && !strings.HasPrefix(line, ":") {
				got = append(got, strings.SplitN(line, "\t", 2)[0])
			}
		}
		if code != exitOK || !slices.Equal(got, c.want) {
			t.Errorf("%v: exit %d, completions %q, want %q", c.args, code, got, c.want)
		}
	}
}

func TestSingleDashLongFlags(t *testing.T) {
	code, out, errs := runCLI("impact", "simulate", "-format", "json", "-time-scale=600", "--responses", "500,200")
	var sim simulation
	if code != exitOK || json.Unmarshal([]byte(out), &sim) != nil || len(sim.Attempts) != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if want := "postbacksim: single-dash long flags are deprecated: write --format, --time-scale instead of -format, -time-scale\n"; errs != want {
		t.Fatalf("stderr %q, want the one notice %q", errs, want)
	}
	// -h is pflag's shorthand, not a long flag: no notice.
	if code, out, errs := runCLI("serve", "-h"); code != exitOK || errs != "" || !strings.Contains(out, "--addr") {
		t.Errorf("serve -h: exit %d, stderr %q", code, errs)
	}
	// A flag's value is not a flag, even when it looks like one.
	if code, _, errs := runCLI("impact", "events", "--event", "-json"); code != exitUsage || strings.Contains(errs, "deprecated") || !strings.Contains(errs, `unknown event "-json"`) {
		t.Errorf("--event -json: exit %d, stderr %q", code, errs)
	}
	// Nothing after -- is rewritten.
	if code, _, errs := runCLI("run", "--", "-format"); code != exitUsage || strings.Contains(errs, "deprecated") || !strings.Contains(errs, "-format: no such file") {
		t.Errorf("run -- -format: exit %d, stderr %q", code, errs)
	}
}

func TestNormalizeArgs(t *testing.T) {
	root := (&app{stdout: io.Discard, stderr: io.Discard}).newRoot()
	cases := []struct {
		in, want, rewritten []string
	}{
		{[]string{"serve", "-addr", "127.0.0.1:0", "-strict"}, []string{"serve", "--addr", "127.0.0.1:0", "--strict"}, []string{"-addr", "-strict"}},
		{[]string{"serve", "--journal-capacity", "-max-body"}, []string{"serve", "--journal-capacity", "-max-body"}, nil},
		{[]string{"run", "-format=json", "a.yaml", "-parallel", "2"}, []string{"run", "--format=json", "a.yaml", "--parallel", "2"}, []string{"-format", "-parallel"}},
		{[]string{"-version"}, []string{"--version"}, []string{"-version"}},
		{[]string{"ocean", "catalog", "-json", "-h"}, []string{"ocean", "catalog", "--json", "-h"}, []string{"-json"}},
		{[]string{"ocean", "-json"}, []string{"ocean", "-json"}, nil}, // a flag of catalog, not of ocean
		{[]string{"serve", "-bogus", "--", "-addr"}, []string{"serve", "-bogus", "--", "-addr"}, nil},
	}
	for _, c := range cases {
		got, rewritten := normalizeArgs(root, c.in)
		if !slices.Equal(got, c.want) || !slices.Equal(rewritten, c.rewritten) {
			t.Errorf("normalizeArgs(%q) = %q, %q; want %q, %q", c.in, got, rewritten, c.want, c.rewritten)
		}
	}
}

func TestRenderFormatIsADeprecatedAlias(t *testing.T) {
	code, viaAlias, errs := runCLI("impact", "render", "--format", "form", "--method", "POST")
	if code != exitOK || !strings.Contains(errs, "Flag --format has been deprecated, use --body-format") || strings.Contains(viaAlias, "deprecated") {
		t.Fatalf("--format: exit %d, stderr %q", code, errs)
	}
	code, viaNew, errs := runCLI("impact", "render", "--body-format", "form", "--method", "POST")
	if code != exitOK || errs != "" || viaNew != viaAlias || !strings.Contains(viaNew, "application/x-www-form-urlencoded") {
		t.Fatalf("--body-format form: exit %d, stderr %q\n%s\nvs the alias:\n%s", code, errs, viaNew, viaAlias)
	}
	if code, out, _ := runCLI("impact", "render", "--format", "json"); code != exitOK || !strings.Contains(out, "application/json") {
		t.Fatalf("render --format json: exit %d\n%s", code, out)
	}
}

// TestHelpSuggestsTheTopic: a mistyped help topic gets the nearest
// command, at any depth.
func TestHelpSuggestsTheTopic(t *testing.T) {
	for args, want := range map[string]string{
		"help serv":          `unknown help topic "serv" (did you mean "serve"?)`,
		"help impact rendr":  `unknown help topic "impact rendr" (did you mean "impact render"?)`,
		"help ocean catalgo": `(did you mean "ocean catalog"?)`,
		"help zzz":           `unknown help topic "zzz"` + "\n",
	} {
		code, _, errs := runCLI(strings.Fields(args)...)
		if code != exitUsage || !strings.Contains(errs, want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", args, code, errs, want)
		}
	}
}

// TestHelpFollowsColumns: with $COLUMNS at 80, every flag line fits,
// but for a word longer than the description column, alone on its line.
func TestHelpFollowsColumns(t *testing.T) {
	t.Setenv("COLUMNS", "80")
	code, out, _ := runCLI("serve", "--help")
	_, flags, _ := strings.Cut(out, "\nFlags:\n")
	flags, _, _ = strings.Cut(flags, "\n\n")
	lines := strings.Split(flags, "\n")
	if code != exitOK || len(lines) < 20 {
		t.Fatalf("serve --help: exit %d, %d flag lines", code, len(lines))
	}
	for _, line := range lines {
		if n := utf8.RuneCountInString(line); n > 80 && len(strings.Fields(line)) != 1 {
			t.Errorf("a flag line of %d columns at COLUMNS=80: %q", n, line)
		}
	}
}
