package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/mockocean"
)

func (a *app) oceanCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ocean catalog|event-types|macros|clicks|report|export [flags]",
		Short: "Ocean Engine tools: catalog, event-types, macros, clicks, report, export",
		Example: `  postbacksim ocean catalog
  postbacksim ocean event-types --json
  postbacksim ocean clicks --monitor-url 'https://adv.example/m?cb=__CALLBACK_PARAM__' --count 5`,
	}
	a.group(cmd, "catalog, event-types, macros, clicks, report or export")
	for _, t := range []struct {
		name, short string
		data        func() any
		markdown    func() string
		// v2Data and v2Markdown are the v2 API's table, when it has one.
		v2Data     func() any
		v2Markdown func() string
	}{
		{"catalog", "print the answer catalogs of /track/activate/ and /api/v2/conversion", func() any { return mockocean.Catalog() }, mockocean.CatalogMarkdown,
			func() any { return mockocean.V2Catalog() }, mockocean.V2CatalogMarkdown},
		{"event-types", "print the event_type enums of /track/activate/ (numbers) and /api/v2/conversion (names)", func() any { return mockocean.EventTypes() }, mockocean.EventTypesMarkdown,
			func() any { return mockocean.V2EventTypes() }, mockocean.V2EventTypesMarkdown},
		{"macros", "print the monitoring-link macros", func() any { return mockocean.MonitorMacros() }, mockocean.MonitorMacrosMarkdown, nil, nil},
	} {
		sub := &cobra.Command{
			Use:     t.name + " [--json]",
			Short:   t.short,
			Example: fmt.Sprintf("  postbacksim ocean %s\n  postbacksim ocean %s --json", t.name, t.name),
			Args:    noArgs,
		}
		asJSON := sub.Flags().Bool("json", false, "print JSON instead of a table")
		var api *string
		if t.v2Data != nil {
			sub.Example += fmt.Sprintf("\n  postbacksim ocean %s --api v2 --json", t.name)
			api = sub.Flags().String("api", "", "`API` whose table to print: track (/track/activate/) or v2 (/api/v2/conversion); default: both as tables, track as JSON")
		}
		sub.RunE = a.action(func(context.Context, *cobra.Command, []string) int {
			which := ""
			if api != nil {
				which = *api
			}
			if which != "" && which != mockocean.APITrack && which != mockocean.APIV2 {
				fmt.Fprintf(a.stderr, "postbacksim ocean %s: --api: %q: want track or v2\n", t.name, which)
				return exitUsage
			}
			data, markdown := t.data, t.markdown
			if which == mockocean.APIV2 {
				data, markdown = t.v2Data, t.v2Markdown
			}
			if *asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				_ = enc.Encode(data())
				return exitOK
			}
			if which == "" && t.v2Markdown != nil {
				fmt.Fprintf(a.stdout, "/track/activate/\n\n%s\n/api/v2/conversion\n\n%s", t.markdown(), t.v2Markdown())
				return exitOK
			}
			fmt.Fprint(a.stdout, markdown())
			return exitOK
		})
		cmd.AddCommand(sub)
	}
	cmd.AddCommand(a.oceanClicksCmd(), a.oceanReportCmd(), a.oceanExportCmd())
	return cmd
}
