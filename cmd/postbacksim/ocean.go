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
		Use:   "ocean catalog|event-types|macros|clicks|report [flags]",
		Short: "Ocean Engine tools: catalog, event-types, macros, clicks, report",
		Example: `  postbacksim ocean catalog
  postbacksim ocean event-types --json
  postbacksim ocean clicks --monitor-url 'https://adv.example/m?cb=__CALLBACK_PARAM__' --count 5`,
	}
	a.group(cmd, "catalog, event-types, macros, clicks or report")
	for _, t := range []struct {
		name, short string
		data        func() any
		markdown    func() string
	}{
		{"catalog", "print the Ocean Engine error catalog", func() any { return mockocean.Catalog() }, mockocean.CatalogMarkdown},
		{"event-types", "print the event_type enum", func() any { return mockocean.EventTypes() }, mockocean.EventTypesMarkdown},
		{"macros", "print the monitoring-link macros", func() any { return mockocean.MonitorMacros() }, mockocean.MonitorMacrosMarkdown},
	} {
		sub := &cobra.Command{
			Use:     t.name + " [--json]",
			Short:   t.short,
			Example: fmt.Sprintf("  postbacksim ocean %s\n  postbacksim ocean %s --json", t.name, t.name),
			Args:    noArgs,
		}
		asJSON := sub.Flags().Bool("json", false, "print JSON instead of a table")
		sub.RunE = a.action(func(context.Context, *cobra.Command, []string) int {
			if *asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				_ = enc.Encode(t.data())
				return exitOK
			}
			fmt.Fprint(a.stdout, t.markdown())
			return exitOK
		})
		cmd.AddCommand(sub)
	}
	cmd.AddCommand(a.oceanClicksCmd(), a.oceanReportCmd())
	return cmd
}
