package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandboxclient"
)

// client is the typed client of the sandbox the flags name.
// An export reads: a namespace that does not exist is an error, not
// created by the first read (as an open sandbox does for any request).
// Only a token that cannot list namespaces leaves the question open.
func (f *exportFlags) client(ctx context.Context) (*sandboxclient.Client, error) {
	c, err := sandboxclient.New(f.base, sandboxclient.WithToken(f.token), sandboxclient.WithNamespace(f.namespace))
	if err != nil || f.namespace == "" || f.namespace == sandbox.DefaultNamespace {
		return c, err
	}
	if _, err := c.GetNamespace(ctx, f.namespace); sandboxclient.IsStatus(err, http.StatusNotFound) {
		return nil, fmt.Errorf("--namespace %s: the sandbox has no such namespace (GET %s lists them)", f.namespace, sandbox.NamespacesPath)
	}
	return c, nil
}

// exportFlags are the flags both export commands take: where the
// sandbox is, and where the scenario goes.
type exportFlags struct {
	base, namespace, token, out string
	asScenario                  bool
	timeout                     *time.Duration
}

func (f *exportFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.base, "url", "", "the sandbox's base `URL`, e.g. http://127.0.0.1:8080")
	fs.StringVar(&f.namespace, "namespace", "", "the sandbox namespace (/ns/`NAME`/) the traffic went to")
	fs.StringVar(&f.namespace, "ns", "", "short for --namespace `NAME`")
	fs.StringVar(&f.token, "token", "", "`TOKEN` that opens the namespace: the admin token (serve --admin-token) or the namespace's own")
	fs.BoolVar(&f.asScenario, "as-scenario", false, "write a scenario file for postbacksim run (the only export so far: required)")
	fs.StringVarP(&f.out, "output", "o", "", "write the scenario to `FILE` instead of standard output")
	f.timeout = durationFlag(fs, "timeout", 30*time.Second, "give up after this long")
}

// check returns a usage message for flags that cannot work, or "".
func (f *exportFlags) check() string {
	u, err := url.Parse(f.base)
	switch {
	case f.base == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "--url: want the sandbox's http(s) base URL, e.g. http://127.0.0.1:8080"
	case !f.asScenario:
		return "--as-scenario: say what to export as (a scenario file is the only kind so far)"
	}
	if f.namespace != "" && f.namespace != sandbox.DefaultNamespace {
		if err := sandbox.CheckNamespace(f.namespace); err != nil {
			return fmt.Sprintf("--namespace: %v", err)
		}
	}
	return ""
}

// source names the sandbox and namespace, for the scenario's name.
func (f *exportFlags) source() string {
	if f.namespace == "" || f.namespace == sandbox.DefaultNamespace {
		return f.base
	}
	return f.base + " (namespace " + f.namespace + ")"
}

// write writes data to --output, or standard output.
func (a *app) writeExport(f *exportFlags, data []byte) error {
	if f.out == "" {
		_, err := a.stdout.Write(data)
		return err
	}
	return os.WriteFile(f.out, data, 0o644)
}

// exportAction runs an export: checks the flags, calls build with a
// context bounded by --timeout, and writes what it returns.
func (a *app) exportAction(name string, f *exportFlags, check func() string, build func(ctx context.Context) ([]byte, error)) func(*cobra.Command, []string) error {
	return a.action(func(ctx context.Context, _ *cobra.Command, _ []string) int {
		msg := f.check()
		if msg == "" {
			msg = check()
		}
		if msg != "" {
			fmt.Fprintf(a.stderr, "postbacksim %s: %s\n", name, msg)
			return exitUsage
		}
		ctx, cancel := context.WithTimeout(ctx, *f.timeout)
		defer cancel()
		data, err := build(ctx)
		if err != nil {
			fmt.Fprintf(a.stderr, "postbacksim %s: %v%s\n", name, err, tokenHint(err))
			return exitFail
		}
		if err := a.writeExport(f, data); err != nil {
			fmt.Fprintf(a.stderr, "postbacksim %s: --output: %v\n", name, err)
			return exitFail
		}
		return exitOK
	})
}

// tokenHint names the flag a refused token is given with.
func tokenHint(err error) string {
	if sandboxclient.IsStatus(err, http.StatusUnauthorized) || sandboxclient.IsStatus(err, http.StatusForbidden) {
		return " (give the token with --token)"
	}
	return ""
}
