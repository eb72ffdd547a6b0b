package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/export"
	"github.com/postbacksim/postbacksim/sandboxclient"
)

func (a *app) oceanExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export --url SANDBOX --as-scenario [flags]",
		Short: "turn the sandbox's Ocean journal into a scenario file",
		Long: `Reads the Ocean journal of a running sandbox (GET /_admin/ocean/requests) and writes
a scenario that sends the recorded requests again, in order and as received (method, API,
raw query string and body, content type, v2 headers), and expects the answers they got:
HTTP status, code, msg and warnings exactly, a dropped connection or a malformed body.
A request a fault rule answered is preceded by a fault step playing that rule once; a
pause of a minute or more becomes an advance step. Requests that cannot be sent again
(a 413, whose body was not kept) are left out and named in the file and on stderr.
Give the sandbox's mode (--lenient, --strict, --app-secret, --dedup-ttl) when it is not
the default, so the scenario's emulator answers by the same rules. Then
'postbacksim run FILE' replays it: traffic becomes a regression test. Reference:
docs/export.md.`,
		Example: `  postbacksim ocean export --url http://127.0.0.1:8080 --as-scenario -o uploader.yaml
  postbacksim run uploader.yaml
  postbacksim ocean export --url http://127.0.0.1:8080 --ns team-a --token s3cret --since 120 --as-scenario
  postbacksim ocean export --url http://127.0.0.1:8080 --lenient --app-secret s3cret-app --as-scenario -o v2.yaml`,
		Args: noArgs,
	}
	var f exportFlags
	fs := cmd.Flags()
	f.register(fs)
	since := fs.Uint64("since", 0, "only requests numbered above `SEQ` (the journal's seq)")
	lenient := fs.Bool("lenient", false, "the sandbox runs in lenient mode (serve --lenient)")
	strict := fs.Bool("strict", false, "the sandbox runs in strict mode (serve --strict)")
	appSecret := fs.String("app-secret", "", "the sandbox's v2 app `SECRET` (serve --ocean-app-secret), for signed v2 requests")
	dedupTTL := durationFlag(fs, "dedup-ttl", 0, "the sandbox's duplicate filter TTL (serve --dedup-ttl); 0: the default")
	cmd.RunE = a.exportAction("ocean export", &f, func() string {
		if *lenient && *strict {
			return "--lenient and --strict: a sandbox runs in one mode"
		}
		return ""
	}, func(ctx context.Context) ([]byte, error) {
		client, err := f.client(ctx)
		if err != nil {
			return nil, err
		}
		journal, err := client.OceanRequests(ctx, sandboxclient.OceanFilter{Since: *since})
		if err != nil {
			return nil, err
		}
		if len(journal.Requests) == 0 && *since > 0 {
			return nil, fmt.Errorf("no request numbered above --since %d: the journal holds %d, the newest is %d", *since, journal.Stats.Stored, journal.Stats.Received)
		}
		faults, err := client.Faults(ctx)
		if err != nil {
			return nil, err
		}
		res, err := export.Ocean(journal.Requests, export.OceanOptions{Source: f.source(), Lenient: *lenient, Strict: *strict,
			AppSecret: *appSecret, DedupTTL: *dedupTTL, Faults: faults})
		if err != nil {
			return nil, err
		}
		for _, s := range res.Skipped {
			fmt.Fprintf(a.stderr, "postbacksim ocean export: request %d left out: %s\n", s.Seq, s.Reason)
		}
		return export.Marshal(res.Scenario, fmt.Sprintf("Exported by postbacksim ocean export from %s: %d request(s).", f.source(), res.Requests),
			"Run it: postbacksim run FILE")
	})
	return cmd
}
