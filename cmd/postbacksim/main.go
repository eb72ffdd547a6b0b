// Command postbacksim runs the postbacksim sandbox and tools.
//
//	postbacksim serve [flags]        serve the emulators over HTTP
//	postbacksim ocean catalog        print the Ocean Engine error catalog
//	postbacksim ocean event-types    print the event_type enum
//	postbacksim impact events        list the impact.com events and fields
//	postbacksim impact render        print the request impact would send
//	postbacksim impact simulate      run one delivery through the retry schedule
//	postbacksim run PATH...          run scenario files
//	postbacksim validate PATH...     check scenario files
//	postbacksim schema               print the scenario JSON Schema
//	postbacksim version              print the version
//
// Run `postbacksim COMMAND --help` for a command's flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// Mozilla's root certificates, used when the system has none (the
	// FROM scratch image), so live postbacks reach https receivers.
	_ "golang.org/x/crypto/x509roots/fallback"

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

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "serve the emulators over HTTP (Ocean Engine /track/activate/, admin, health)", runServe},
		{"ocean", "Ocean Engine tools: catalog, event-types, macros, clicks", runOcean},
		{"impact", "impact.com tools: events, render, simulate", runImpact},
		{"run", "run scenario files on the virtual clock (text, json or junit report)", runRun},
		{"validate", "check scenario files; exit 2 if any is invalid", runValidate},
		{"schema", "print the JSON Schema of scenario files (for editor completion)", func(_ context.Context, args []string, stdout, stderr io.Writer) int {
			fs := newFlagSet("schema", "schema > scenario.schema.json", stderr)
			if code, ok := parseFlags(fs, args, false); !ok {
				return code
			}
			_, _ = stdout.Write(scenarios.SchemaJSON)
			return exitOK
		}},
		{"healthcheck", "ask a running server's /healthz (the container's HEALTHCHECK)", runHealthcheck},
		{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) int {
			fmt.Fprintln(stdout, "postbacksim", version)
			return exitOK
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: postbacksim COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'postbacksim COMMAND --help' for a command's flags.")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "postbacksim: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
