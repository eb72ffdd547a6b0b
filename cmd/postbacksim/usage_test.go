package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// badValues are values no flag of a type takes.
var badValues = map[string]string{
	"duration": "soon", "int": "many", "int64": "many", "float64": "fast", "bool": "maybe",
	"size": "12x", "uint": "-1", "uint16": "70000",
}

// TestEveryFlagRefusesABadValueWithExit2 walks every command's flags: a
// value its type does not take exits 2, naming the flag. Every duration
// flag takes days (1d12h), as the config file and scenarios do.
func TestEveryFlagRefusesABadValueWithExit2(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard}
	var walk func(c *cobra.Command)
	tried := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.Hidden {
			return
		}
		path := strings.Fields(strings.TrimPrefix(c.CommandPath(), c.Root().Name()))
		c.Flags().VisitAll(func(f *pflag.Flag) {
			bad, ok := badValues[f.Value.Type()]
			if !ok {
				return
			}
			tried++
			args := append(append([]string{}, path...), "--"+f.Name+"="+bad)
			code, _, errs := runCLI(args...)
			if code != exitUsage || !strings.Contains(errs, "--"+f.Name) {
				t.Errorf("%v: exit %d, %q; want 2 naming --%s", args, code, errs, f.Name)
			}
			if f.Value.Type() == "duration" {
				var probe dayDuration
				if err := probe.Set("1d12h"); err != nil || f.Value.Set("1d12h") != nil {
					t.Errorf("--%s: 1d12h refused", f.Name)
				}
			}
		})
	}
	walk(a.newRoot())
	if tried < 20 {
		t.Fatalf("only %d typed flags found: the walk is broken", tried)
	}
}

// TestMistypedSubcommandSuggestsEvenWithFlags: a mistyped subcommand is
// named (with the nearest) even when flags follow it.
func TestMistypedSubcommandSuggestsEvenWithFlags(t *testing.T) {
	for args, want := range map[string]string{
		"certify impct --target http://x/pb": `unknown subcommand "impct" (want impact) (did you mean "certify impact"?)`,
		"ocean reprot --url http://x":        `(did you mean "ocean report"?)`,
		"impact evnts --json":                `(did you mean "impact events"?)`,
	} {
		code, _, errs := runCLI(strings.Fields(args)...)
		if code != exitUsage || !strings.Contains(errs, want) {
			t.Errorf("%s: exit %d, %q; want 2 and %q", args, code, errs, want)
		}
	}
}
