package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandboxclient"
)

func (a *app) oceanReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report --url SANDBOX [flags]",
		Short: "lint your uploader's traffic in the sandbox's journal",
		Long: `Reads the lint of the requests your uploader sent to a running sandbox
(GET /_admin/ocean/report): findings such as duplicate or missing outer_event_id,
retries after errors that retrying cannot change, retries too fast after a 5xx,
conv_time in milliseconds or in the future, device-info and os mistakes,
unattributed callbacks, absent event_type, every rejected request by code, every
warning kind; with the answers and event types used. Each finding has a severity
(error, warning, info); the command exits 1 when one is at --fail-on or above
(error by default), so a CI job fails on it. --format junit writes one testcase per
finding kind for CI test reports. Reference: docs/certify.md.`,
		Example: `  postbacksim ocean report --url http://127.0.0.1:8080
  postbacksim ocean report --url http://127.0.0.1:8080 --namespace team-a --since 2026-04-08T09:00:00Z --format html > report.html
  postbacksim ocean report --url http://127.0.0.1:8080 --format junit --fail-on warning > ocean-report.xml`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	base := fs.String("url", "", "the sandbox's base `URL`, e.g. http://127.0.0.1:8080")
	namespace := fs.String("namespace", "", "the sandbox namespace (/ns/`NAME`/) your uploader sends to")
	since := fs.String("since", "", "only requests that arrived at or after this RFC 3339 `TIME`")
	until := fs.String("until", "", "only requests that arrived before this RFC 3339 `TIME`")
	format := fs.String("format", "text", "report format: text, json, html or junit")
	failOn := fs.String("fail-on", mockocean.SeverityError, "exit 1 when a finding is this severe or more: error, warning, info or never")
	token := fs.String("token", "", "`TOKEN` that opens the namespace: the admin token (serve --admin-token) or the namespace's own")
	timeout := durationFlag(fs, "timeout", 30*time.Second, "give up after this long")
	completeFlag(cmd, "format", "text", "json", "html", "junit")
	completeFlag(cmd, "fail-on", "error", "warning", "info", "never")
	cmd.RunE = a.action(func(ctx context.Context, _ *cobra.Command, _ []string) int {
		usage := func(format string, args ...any) int {
			fmt.Fprintf(a.stderr, "postbacksim ocean report: "+format+"\n", args...)
			return exitUsage
		}
		u, err := url.Parse(*base)
		if *base == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usage("--url: want the sandbox's http(s) base URL, e.g. http://127.0.0.1:8080")
		}
		switch *format {
		case "text", "json", "html", "junit":
		default:
			return usage("--format %q: want text, json, html or junit%s", *format, didYouMean(*format, []string{"text", "json", "html", "junit"}))
		}
		if mockocean.SeverityRank(*failOn) == 0 && *failOn != "never" {
			return usage("--fail-on %q: want error, warning, info or never%s", *failOn, didYouMean(*failOn, []string{"error", "warning", "info", "never"}))
		}
		opts := sandboxclient.ReportOptions{Format: "json"}
		for name, v := range map[string]string{"since": *since, "until": *until} {
			if v == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return usage("--%s %q: want an RFC 3339 time such as 2026-04-08T09:00:00Z", name, v)
			}
			if name == "since" {
				opts.Since = t
			} else {
				opts.Until = t
			}
		}
		if *namespace != "" && *namespace != sandbox.DefaultNamespace {
			if err := sandbox.CheckNamespace(*namespace); err != nil {
				return usage("--namespace: %v", err)
			}
		}
		client, err := sandboxclient.New(*base, sandboxclient.WithToken(*token), sandboxclient.WithNamespace(*namespace))
		if err != nil {
			return usage("--url: %v", err)
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		body, err := client.ReportRaw(ctx, opts)
		if err != nil {
			fmt.Fprintf(a.stderr, "postbacksim ocean report: %v%s\n", err, tokenHint(err))
			return exitFail
		}
		var rep mockocean.TrafficReport
		if err := json.Unmarshal(body, &rep); err != nil {
			fmt.Fprintf(a.stderr, "postbacksim ocean report: the sandbox's answer is not a report: %v\n", err)
			return exitFail
		}
		switch *format {
		case "json":
			_, err = a.stdout.Write(body)
		case "text":
			err = rep.WriteText(a.stdout)
		case "html":
			err = rep.WriteHTML(a.stdout)
		case "junit":
			err = rep.WriteJUnit(a.stdout, *failOn)
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "postbacksim ocean report: %v\n", err)
			return exitFail
		}
		if rep.Fails(*failOn) {
			fmt.Fprintf(a.stderr, "postbacksim ocean report: findings at --fail-on %s or above\n", *failOn)
			return exitFail
		}
		return exitOK
	})
	return cmd
}
