package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/postbacksim/postbacksim/mockocean"
)

func runOcean(_ context.Context, args []string, stdout, stderr io.Writer) int {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	fs := newFlagSet("ocean "+sub, "ocean catalog|event-types [--json]", stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	switch sub {
	case "catalog", "event-types":
	case "", "-h", "--help", "help":
		fs.Usage()
		if sub == "" {
			return exitUsage
		}
		return exitOK
	default:
		fmt.Fprintf(stderr, "postbacksim ocean: unknown subcommand %q (want catalog or event-types)\n", sub)
		return exitUsage
	}
	if code, ok := parseFlags(fs, args[1:], false); !ok {
		return code
	}
	var data any
	if sub == "catalog" {
		data = mockocean.Catalog
	} else {
		data = mockocean.EventTypes
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(data)
		return exitOK
	}
	if sub == "catalog" {
		fmt.Fprint(stdout, mockocean.CatalogMarkdown())
		return exitOK
	}
	fmt.Fprint(stdout, mockocean.EventTypesMarkdown())
	return exitOK
}
