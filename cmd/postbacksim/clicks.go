package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
)

// parseKey reads a hex callback key; empty means random. from names
// where the value came from (--callback-key, a variable, a config file
// line).
func parseKey(s, from string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	k, err := hex.DecodeString(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: not hex; want at least 16 bytes as hex (32+ hex digits; openssl rand -hex 32 makes one)", from)
	case len(k) < 16:
		return nil, fmt.Errorf("%s: %d bytes; want at least 16 bytes as hex (32+ hex digits; openssl rand -hex 32 makes one)", from, len(k))
	}
	return k, nil
}

func (a *app) oceanClicksCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clicks --monitor-url URL [flags]",
		Short: "send generated clicks to your monitoring link, with signed callbacks",
		Long: `Sends generated clicks (or impressions, or valid plays) to your monitoring link, its macros filled in,
each with a callback signed by --callback-key: the callback your server sends back to
the sandbox's /track/activate/ is then attributed to its click.`,
		Example: `  postbacksim ocean clicks --monitor-url 'https://adv.example/m?cb=__CALLBACK_PARAM__&idfa=__IDFA__' --count 5
  postbacksim ocean clicks --monitor-url 'https://adv.example/m?cb=__CALLBACK_PARAM__' --kind play --count 3
  postbacksim ocean clicks --monitor-url 'https://adv.example/m?cb=__CALLBACK_PARAM__' --callback-key "$KEY" --namespace team-a --json`,
		Args: noArgs,
	}
	fs := cmd.Flags()
	monitor := fs.String("monitor-url", "", "your monitoring `URL`, with macros: https://adv.example/m?cb=__CALLBACK_PARAM__&idfa=__IDFA__")
	count := fs.Int("count", 10, "clicks to send")
	rate := fs.Float64("rate", 10, "clicks per second (0: as fast as answers come)")
	seed := fs.Int64("seed", fixtures.DefaultSeed, "seed of the generated clicks")
	kind := fs.String("kind", string(mockocean.KindClick), "what to send: `click`, impression or play (a valid play of a video ad; its conversions get match_type 2)")
	impressions := fs.Bool("impressions", false, "send impressions instead of clicks (the same as --kind impression)")
	key := fs.String("callback-key", "", "`HEX` key signing the callbacks; give 'serve' the same key so it attributes the conversions (default: random)")
	base := fs.String("callback-base", "http://127.0.0.1:8080", "the sandbox's base `URL`, for __CALLBACK_URL__")
	namespace := fs.String("namespace", "", "the sandbox namespace (/ns/`NAME`/) the conversions will go to: its callback key and URL")
	timeout := durationFlag(fs, "timeout", 5*time.Minute, "stop after this long")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	completeFlag(cmd, "kind", string(mockocean.KindClick), string(mockocean.KindImpression), string(mockocean.KindPlay))
	cmd.RunE = a.action(func(ctx context.Context, _ *cobra.Command, _ []string) int {
		stdout, stderr := a.stdout, a.stderr
		fail := func(format string, a ...any) int {
			fmt.Fprintf(stderr, "postbacksim ocean clicks: "+format+"\n", a...)
			return exitUsage
		}
		if *monitor == "" {
			return fail("--monitor-url is required")
		}
		if !slices.Contains(mockocean.ClickKinds(), mockocean.ClickKind(*kind)) {
			return fail("--kind: %q is not click, impression or play", *kind)
		}
		if *impressions && cmd.Flags().Changed("kind") && *kind != string(mockocean.KindImpression) {
			return fail("--impressions and --kind %s: choose one (--impressions is --kind impression)", *kind)
		}
		if *impressions {
			*kind = string(mockocean.KindImpression)
		}
		k, err := parseKey(*key, "--callback-key")
		if err != nil {
			return fail("%v", err)
		}
		if k == nil {
			fmt.Fprintln(stderr, "note: callbacks are signed with a random key; start 'postbacksim serve --callback-key HEX' and pass the same --callback-key here to have conversions attributed")
		}
		callbackBase := *base
		if *namespace != "" && *namespace != sandbox.DefaultNamespace {
			if err := sandbox.CheckNamespace(*namespace); err != nil {
				return fail("--namespace: %v", err)
			}
			callbackBase = strings.TrimSuffix(callbackBase, "/") + "/ns/" + *namespace
			k = sandbox.NamespaceKey(k, *namespace)
		}
		srv := mockocean.New(mockocean.Config{CallbackKey: k})
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		step := max(1, *count/20)
		rep, err := srv.SendClicks(ctx, mockocean.ClickOptions{
			MonitorURL: *monitor, Count: *count, Rate: *rate, Seed: *seed, Kind: mockocean.ClickKind(*kind), CallbackBase: callbackBase,
			Progress: func(sent, total int) {
				switch {
				case !isTerminal(stderr): // a log or a pipe: no carriage returns
				case sent%step == 0 || sent == total:
					fmt.Fprintf(stderr, "\rsending: %d/%d", sent, total)
					if sent == total {
						fmt.Fprintln(stderr)
					}
				}
			},
		})
		if err != nil && rep.Sent == 0 {
			return fail("%v", err)
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(map[string]any{"report": rep, "clicks": srv.Clicks()})
		} else {
			fmt.Fprintln(stdout, rep.String())
			for _, c := range srv.Clicks() {
				if c.Error != "" {
					fmt.Fprintf(stdout, "first failure: %s\n", c.Error)
					break
				}
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "\npostbacksim ocean clicks: %v\n", err)
			return exitFail
		}
		if rep.Failed > 0 {
			return exitFail
		}
		return exitOK
	})
	return cmd
}

// isTerminal reports whether w is a character device, a terminal: the
// only place a progress line redrawn with carriage returns belongs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
