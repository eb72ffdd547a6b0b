package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/postbacksim/postbacksim/mockocean"
)

func runOcean(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	if sub == "clicks" {
		return runOceanClicks(ctx, args[1:], stdout, stderr)
	}
	fs := newFlagSet("ocean "+sub, "ocean catalog|event-types|macros [--json]  or  ocean clicks --monitor-url URL [flags]", stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	switch sub {
	case "catalog", "event-types", "macros":
	case "", "-h", "--help", "help":
		fs.Usage()
		if sub == "" {
			return exitUsage
		}
		return exitOK
	default:
		fmt.Fprintf(stderr, "postbacksim ocean: unknown subcommand %q (want catalog, event-types, macros or clicks)\n", sub)
		return exitUsage
	}
	if code, ok := parseFlags(fs, args[1:], false); !ok {
		return code
	}
	var data any
	switch sub {
	case "catalog":
		data = mockocean.Catalog()
	case "macros":
		data = mockocean.MonitorMacros()
	default:
		data = mockocean.EventTypes()
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(data)
		return exitOK
	}
	switch sub {
	case "catalog":
		fmt.Fprint(stdout, mockocean.CatalogMarkdown())
		return exitOK
	case "macros":
		fmt.Fprint(stdout, mockocean.MonitorMacrosMarkdown())
		return exitOK
	}
	fmt.Fprint(stdout, mockocean.EventTypesMarkdown())
	return exitOK
}
