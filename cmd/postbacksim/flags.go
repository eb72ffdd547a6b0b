package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/suggest"
)

// app is one invocation of the CLI: where output goes and the exit code
// the command chose.
type app struct {
	stdout, stderr io.Writer
	code           int
}

// action adapts a command body that returns an exit code to cobra's RunE.
func (a *app) action(body func(ctx context.Context, cmd *cobra.Command, args []string) int) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.code = body(cmd.Context(), cmd, args)
		return nil
	}
}

// hint is the line that follows a usage error instead of the whole usage.
func hint(cmd *cobra.Command) string {
	return fmt.Sprintf("Run '%s --help' for usage.", cmd.CommandPath())
}

// noArgs refuses positional arguments, as the flag-package CLI did.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q", args[0])
	}
	return nil
}

// groupAnnotation marks a command made by group, with the subcommands it
// wants.
const groupAnnotation = "postbacksim-group"

// group makes cmd a command that only holds subcommands: with none it
// prints its usage on stderr (exit 2), "help" prints its help, and an
// unknown one is an error listing the valid ones (want) and the closest.
func (a *app) group(cmd *cobra.Command, want string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[groupAnnotation] = want
	cmd.Args = cobra.ArbitraryArgs
	cmd.SuggestionsMinimumDistance = 2 // cobra's default, applied only on the root
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			fmt.Fprint(a.stderr, c.UsageString())
			a.code = exitUsage
			return nil
		}
		if args[0] == "help" {
			a.code = exitOK
			return c.Help()
		}
		msg := fmt.Sprintf("unknown subcommand %q (want %s)", args[0], want)
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		return fmt.Errorf("%s", msg)
	}
}

// completeFlag offers values for flag name in shell completion.
func completeFlag(cmd *cobra.Command, name string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// unknownFlagRE matches pflag's errors for an undefined flag: "unknown
// flag: --adr" and "unknown shorthand flag: 'b' in -bogus".
var unknownFlagRE = regexp.MustCompile(`^unknown (?:shorthand )?flag: (?:'.' in )?(-{1,2})([^=\s]+)`)

// flagError turns pflag's parse errors into short ones: an unknown flag
// is named with the closest known flag, instead of the whole usage.
func flagError(cmd *cobra.Command, err error) error {
	m := unknownFlagRE.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && f.Deprecated == "" {
			names = append(names, f.Name)
		}
	})
	msg := "unknown flag " + m[1] + m[2]
	if best, ok := suggest.Closest(m[2], names); ok {
		msg += " (did you mean --" + best + "?)"
	}
	return fmt.Errorf("%s", msg)
}

// normalizeArgs rewrites single-dash long flags, which Go's flag package
// accepted (-addr 127.0.0.1:0, -time-scale=600), to their double-dash
// form, following the subcommands named on the way. Only a name longer
// than one letter that is a long flag of the command at that point is
// rewritten, so pflag shorthands (-h) stay as they are; nothing after
// "--" is touched, nor the value of a flag that takes one. It returns the
// new args and the single-dash spellings it rewrote.
func normalizeArgs(root *cobra.Command, args []string) ([]string, []string) {
	cmd := root
	out := make([]string, 0, len(args))
	var rewritten []string
	// takesValue reports whether flag name of cmd consumes the next
	// argument when written without "=".
	takesValue := func(name string, hasValue bool) bool {
		f := cmd.Flags().Lookup(name)
		return f != nil && !hasValue && f.NoOptDefVal == ""
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return append(out, args[i:]...), rewritten
		case strings.HasPrefix(arg, "--"):
			out = append(out, arg)
			name, _, hasValue := strings.Cut(arg[2:], "=")
			if takesValue(name, hasValue) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		case strings.HasPrefix(arg, "-") && len(arg) > 2:
			name, _, hasValue := strings.Cut(arg[1:], "=")
			if len(name) < 2 || cmd.Flags().Lookup(name) == nil {
				out = append(out, arg)
				continue
			}
			out = append(out, "-"+arg)
			rewritten = append(rewritten, "-"+name)
			if takesValue(name, hasValue) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		case strings.HasPrefix(arg, "-"):
			out = append(out, arg)
		default:
			out = append(out, arg)
			for _, sub := range cmd.Commands() {
				if sub.Name() == arg || sub.HasAlias(arg) {
					cmd = sub
					break
				}
			}
		}
	}
	return out, rewritten
}

// deprecationNotice is the one line printed when single-dash long flags
// were rewritten.
func deprecationNotice(rewritten []string) string {
	fixed := make([]string, len(rewritten))
	for i, r := range rewritten {
		fixed[i] = "-" + r
	}
	return fmt.Sprintf("postbacksim: single-dash long flags are deprecated: write %s instead of %s\n",
		strings.Join(fixed, ", "), strings.Join(rewritten, ", "))
}

// helpWidth is the width help text is wrapped to: $COLUMNS when the
// shell exports it, else the terminal's on standard output, else 100;
// between 60 and 200.
func helpWidth() int {
	n, err := strconv.Atoi(os.Getenv("COLUMNS"))
	if err != nil || n <= 0 {
		if n, _, err = term.GetSize(int(os.Stdout.Fd())); err != nil || n <= 0 {
			n = 100
		}
	}
	return min(max(n, 60), 200)
}

// wrappedFlagUsages lists fs's flags with each description wrapped under
// its own column, to helpWidth. pflag lays the flags out (unwrapped:
// its wrapping stops at the first word longer than the column); a word
// longer than the column gets a line of its own.
func wrappedFlagUsages(fs *pflag.FlagSet) string {
	width := helpWidth()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(fs.FlagUsagesWrapped(0), "\n"), "\n") {
		start := len(line) - len(strings.TrimLeft(line, " "))
		gap := strings.Index(line[start:], "  ")
		if gap < 0 { // no description
			b.WriteString(line + "\n")
			continue
		}
		col := start + gap
		for col < len(line) && line[col] == ' ' {
			col++
		}
		b.WriteString(line[:col])
		n := col
		for i, word := range strings.Fields(line[col:]) {
			w := utf8.RuneCountInString(word) // columns, near enough
			if i > 0 && n+1+w > width {
				b.WriteString("\n" + strings.Repeat(" ", col))
				n = col
			} else if i > 0 {
				b.WriteByte(' ')
				n++
			}
			b.WriteString(word)
			n += w
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// usageTemplate is cobra's, with the usage line first as the flag-package
// CLI printed it ("Usage: postbacksim serve [flags]").
const usageTemplate = `Usage: {{.UseLine}}{{if gt (len .Aliases) 0}}

Aliases: {{.NameAndAliases}}{{end}}{{if .HasAvailableSubCommands}}

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{wrappedFlagUsages .LocalFlags | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global flags:
{{wrappedFlagUsages .InheritedFlags | trimTrailingWhitespaces}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Run '{{.CommandPath}} COMMAND --help' for a command's flags.{{end}}
`

// didYouMean is " (did you mean "X"?)" for the value of choices closest
// to v, or "" when none is close.
func didYouMean(v string, choices []string) string {
	if best, ok := suggest.Closest(v, choices); ok {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// durationFlag is fs.Duration in the one duration syntax of postbacksim:
// Go's (90s, 15m, 2h30m) with days too (1d12h), as scenario files and
// the config file write them.
func durationFlag(fs *pflag.FlagSet, name string, def time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	*p = def
	fs.Var((*dayDuration)(p), name, usage)
	return p
}

// dayDuration is a time.Duration flag value read by clock.ParseDuration.
type dayDuration time.Duration

func (d *dayDuration) String() string { return time.Duration(*d).String() }
func (d *dayDuration) Type() string   { return "duration" }
func (d *dayDuration) Set(s string) error {
	v, err := clock.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q: want a duration such as 90s, 15m, 2h30m or 1d12h", s)
	}
	*d = dayDuration(v)
	return nil
}
