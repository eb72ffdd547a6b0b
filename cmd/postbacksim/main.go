// Command postbacksim runs the postbacksim sandbox and tools.
//
//	postbacksim serve [flags]        serve the emulators over HTTP
//	postbacksim ocean catalog        print the Ocean Engine error catalog
//	postbacksim ocean event-types    print the event_type enum
//	postbacksim impact events        list the impact.com events and fields
//	postbacksim impact render        print the request impact would send
//	postbacksim impact simulate      run one delivery through the retry schedule
//	postbacksim certify impact       grade a brand's real impact.com receiver
//	postbacksim ocean report         lint an uploader's traffic in the sandbox
//	postbacksim run PATH...          run scenario files
//	postbacksim validate PATH...     check scenario files
//	postbacksim schema               print the scenario JSON Schema
//	postbacksim version              print the version
//	postbacksim completion bash|zsh|fish  print a shell completion script
//
// Run `postbacksim COMMAND --help` for a command's flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	// Mozilla's root certificates, used when the system has none (the
	// FROM scratch image), so live postbacks reach https receivers.
	_ "golang.org/x/crypto/x509roots/fallback"

	"github.com/postbacksim/postbacksim/internal/suggest"
	"github.com/postbacksim/postbacksim/runner"
	"github.com/postbacksim/postbacksim/scenarios"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func init() {
	cobra.EnableCommandSorting = false // commands list in the order newRoot adds them, as before
}

// newRoot builds the command tree of one invocation.
func (a *app) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "postbacksim COMMAND",
		Short: "postbacksim: a sandbox and test harness for impact.com postbacks and the Ocean Engine conversion API",
		Example: `  postbacksim serve --addr 127.0.0.1:8080
  postbacksim run scenarios/
  postbacksim impact simulate --responses 500,timeout,200
  postbacksim completion bash > /etc/bash_completion.d/postbacksim`,
		Version:           version,
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		RunE: a.action(func(_ context.Context, cmd *cobra.Command, _ []string) int {
			fmt.Fprint(a.stderr, cmd.UsageString())
			return exitUsage
		}),
	}
	root.Flags().Bool("version", false, "print the version")
	root.SetVersionTemplate("postbacksim {{.Version}}\n")
	cobra.AddTemplateFunc("wrappedFlagUsages", wrappedFlagUsages)
	root.SetUsageTemplate(usageTemplate)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		a.serveCmd(),
		a.oceanCmd(),
		a.impactCmd(),
		a.certifyCmd(),
		a.runCmd(),
		a.validateCmd(),
		a.schemaCmd(),
		a.healthcheckCmd(),
		a.versionCmd(),
		a.completionCmd(),
	)
	root.SetHelpCommand(a.helpCmd())
	var prepare func(*cobra.Command)
	prepare = func(c *cobra.Command) {
		c.InitDefaultHelpFlag() // now, so normalizeArgs knows --help
		// Notices such as a deprecated flag's go to stderr; cobra would
		// print them on stdout, the command's output.
		c.Flags().SetOutput(a.stderr)
		for _, sub := range c.Commands() {
			prepare(sub)
		}
	}
	prepare(root)
	return root
}

func (a *app) schemaCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "schema",
		Short:   "print the JSON Schema of scenario files (for editor completion), or of the JSON report",
		Example: "  postbacksim schema > scenario.schema.json\n  postbacksim schema --report > report.schema.json",
		Args:    noArgs,
	}
	report := cmd.Flags().Bool("report", false, "print the schema of `run --format json` reports instead")
	cmd.RunE = a.action(func(context.Context, *cobra.Command, []string) int {
		schema := scenarios.SchemaJSON
		if *report {
			schema = runner.ReportSchemaJSON
		}
		_, _ = a.stdout.Write(schema)
		return exitOK
	})
	return cmd
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "print the version",
		Example: "  postbacksim version\n  postbacksim --version",
		Args:    noArgs,
		RunE: a.action(func(context.Context, *cobra.Command, []string) int {
			fmt.Fprintln(a.stdout, "postbacksim", version)
			return exitOK
		}),
	}
}

// helpCmd replaces cobra's help command, to have an example too.
func (a *app) helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "help [COMMAND]...",
		Short:   "print a command's help",
		Example: "  postbacksim help serve\n  postbacksim help impact simulate",
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			target, _, err := c.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range target.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: a.action(func(_ context.Context, cmd *cobra.Command, args []string) int {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || len(rest) > 0 {
				fmt.Fprintf(a.stderr, "postbacksim help: unknown help topic %q%s\n%s\n", strings.Join(args, " "), topicHint(cmd.Root(), args), hint(cmd.Root()))
				return exitUsage
			}
			target.InitDefaultHelpFlag()
			if err := target.Help(); err != nil {
				fmt.Fprintf(a.stderr, "postbacksim help: %v\n", err)
				return exitFail
			}
			return exitOK
		}),
	}
}

func (a *app) completionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "print a shell completion script",
		Long: `Prints a script that completes postbacksim's commands and flags in your shell.
Load it in the current shell, or install it where your shell looks for completions.`,
		Example: `  source <(postbacksim completion bash)
  postbacksim completion zsh > "${fpath[1]}/_postbacksim"
  postbacksim completion fish > ~/.config/fish/completions/postbacksim.fish`,
	}
	a.group(cmd, "bash, zsh or fish")
	for _, sh := range []struct {
		name, example string
		gen           func(root *cobra.Command, w io.Writer) error
	}{
		{"bash", "  source <(postbacksim completion bash)", func(root *cobra.Command, w io.Writer) error { return root.GenBashCompletionV2(w, true) }},
		{"zsh", `  postbacksim completion zsh > "${fpath[1]}/_postbacksim"`, func(root *cobra.Command, w io.Writer) error { return root.GenZshCompletion(w) }},
		{"fish", "  postbacksim completion fish > ~/.config/fish/completions/postbacksim.fish", func(root *cobra.Command, w io.Writer) error { return root.GenFishCompletion(w, true) }},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:     sh.name,
			Short:   "print the " + sh.name + " completion script",
			Example: sh.example,
			Args:    noArgs,
			RunE: a.action(func(_ context.Context, c *cobra.Command, _ []string) int {
				if err := sh.gen(c.Root(), a.stdout); err != nil {
					fmt.Fprintf(a.stderr, "postbacksim completion %s: %v\n", sh.name, err)
					return exitFail
				}
				return exitOK
			}),
		})
	}
	return cmd
}

// topicHint suggests the command nearest to the first word of args that
// names none: " (did you mean \"serve\"?)".
func topicHint(root *cobra.Command, args []string) string {
	cmd := root
	for _, word := range args {
		var names []string
		var next *cobra.Command
		for _, sub := range cmd.Commands() {
			if !sub.IsAvailableCommand() {
				continue
			}
			names = append(names, sub.Name())
			if sub.Name() == word || slices.Contains(sub.Aliases, word) {
				next = sub
			}
		}
		if next == nil {
			if best, ok := suggest.Closest(word, names); ok {
				return fmt.Sprintf(" (did you mean %q?)", strings.TrimSpace(strings.Join(append(pathWords(cmd), best), " ")))
			}
			return ""
		}
		cmd = next
	}
	return ""
}

// unknownSubcommand reads the command words of args (those before the
// first flag) and, when one names no subcommand of a command that only
// groups others (certify, ocean, impact), says so with the nearest name:
// cobra would otherwise blame the first flag that follows ("unknown flag
// --target" for `certify impct --target …`). "" when the words are fine.
func unknownSubcommand(root *cobra.Command, args []string) string {
	cmd := root
	for _, word := range args {
		if strings.HasPrefix(word, "-") || word == "help" || strings.HasPrefix(word, "__") {
			return ""
		}
		var next *cobra.Command
		var names []string
		for _, sub := range cmd.Commands() {
			if !sub.IsAvailableCommand() {
				continue
			}
			names = append(names, sub.Name())
			if sub.Name() == word || sub.HasAlias(word) {
				next = sub
			}
		}
		if next == nil {
			want, group := cmd.Annotations[groupAnnotation]
			if !group {
				return "" // its arguments (or the root's, which cobra checks)
			}
			msg := fmt.Sprintf("%s: unknown subcommand %q (want %s)", cmd.CommandPath(), word, want)
			if best, ok := suggest.Closest(word, names); ok {
				msg += fmt.Sprintf(" (did you mean %q?)", strings.TrimSpace(strings.Join(append(pathWords(cmd), best), " ")))
			}
			return msg + "\n" + hint(cmd)
		}
		cmd = next
	}
	return ""
}

// pathWords are the words of cmd's path after the program's name.
func pathWords(cmd *cobra.Command) []string {
	return strings.Fields(strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()))
}

// run is the CLI: it runs args and returns the exit code. Help asked for
// goes to stdout; errors go to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.newRoot()
	if len(args) == 0 || !strings.HasPrefix(args[0], "__complete") {
		var rewritten []string
		args, rewritten = normalizeArgs(root, args)
		if len(rewritten) > 0 {
			fmt.Fprint(stderr, deprecationNotice(rewritten))
		}
	}
	if msg := unknownSubcommand(root, args); msg != "" {
		fmt.Fprintln(stderr, msg)
		return exitUsage
	}
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(stderr, "%s: %v\n%s\n", cmd.CommandPath(), strings.TrimRight(err.Error(), "\n"), hint(cmd))
		return exitUsage
	}
	return a.code
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
