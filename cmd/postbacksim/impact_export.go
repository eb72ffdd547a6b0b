package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/export"
)

func (a *app) impactExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export --url SANDBOX --delivery ID --as-scenario [flags]",
		Short: "turn one impact delivery of the sandbox into a scenario file",
		Long: `Reads one delivery of a running sandbox (GET /_admin/impact/deliveries/ID) and the
postback configuration of its event (GET /_admin/impact/postbacks), and writes a scenario
whose scripted receiver plays the recorded answers (status, body excerpt, latency as a
delay; timeouts, resets, refused connections and DNS failures as the scripted faults), with
the brand's host replaced by {receiver}, and which expects the delivery's outcome, its
attempts' outcomes and their offsets on the retry schedule. The event is fired by type (the
sandbox does not keep the payload it sent). Then 'postbacksim run FILE' replays the
31-hour schedule in milliseconds. Reference: docs/export.md.`,
		Example: `  postbacksim impact export --url http://127.0.0.1:8080 --delivery d000001 --as-scenario -o receiver.yaml
  postbacksim run receiver.yaml
  postbacksim impact export --url http://127.0.0.1:8080 --ns team-a --token s3cret --delivery d000042 --as-scenario`,
		Args: noArgs,
	}
	var f exportFlags
	fs := cmd.Flags()
	f.register(fs)
	id := fs.String("delivery", "", "the delivery's `ID` (GET /_admin/impact/deliveries lists them)")
	cmd.RunE = a.exportAction("impact export", &f, func() string {
		if *id == "" {
			return "--delivery: name the delivery to export (GET /_admin/impact/deliveries lists them)"
		}
		return ""
	}, func(ctx context.Context) ([]byte, error) {
		client, err := f.client(ctx)
		if err != nil {
			return nil, err
		}
		d, err := client.Delivery(ctx, *id)
		if err != nil {
			return nil, err
		}
		postbacks, err := client.Postbacks(ctx)
		if err != nil {
			return nil, err
		}
		opts := export.ImpactOptions{Source: f.source()}
		for i := range postbacks {
			if postbacks[i].Event == d.Event {
				opts.Postback = &postbacks[i]
			}
		}
		if opts.Postback == nil {
			fmt.Fprintf(a.stderr, "postbacksim impact export: no %s configuration in the sandbox now: the scenario sends the recorded URL only\n", d.Event)
		}
		sc, err := export.Impact(d, opts)
		if err != nil {
			return nil, err
		}
		return export.Marshal(sc, fmt.Sprintf("Exported by postbacksim impact export from %s: delivery %s.", f.source(), d.ID),
			"Run it: postbacksim run FILE")
	})
	return cmd
}
