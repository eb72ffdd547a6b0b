package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckCmd is the container's HEALTHCHECK: it asks the local
// server's /healthz, at the address serve listens on.
func (a *app) healthcheckCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "healthcheck [--url URL]",
		Short: "ask a running server's /healthz (the container's HEALTHCHECK)",
		Long: `Asks a running server's /healthz and exits 0 if it answers 200. By default it asks
the server this container runs: the address and scheme that process 1 listens on,
read from its command line, environment and config file with serve's own precedence.
Where process 1 is not 'postbacksim serve', it asks $POSTBACKSIM_ADDR (or the
--config file's addr; 0.0.0.0 meaning 127.0.0.1), over HTTPS when a certificate is set
or the server answers that it speaks HTTPS.`,
		Example: `  postbacksim healthcheck
  postbacksim healthcheck --url http://127.0.0.1:8080/healthz --timeout 1s
  postbacksim healthcheck --pid 4242`,
		Args: noArgs,
	}
	u := cmd.Flags().String("url", "", "health `URL` to ask (default: the server's own, see above)")
	pid := cmd.Flags().Int("pid", 1, "read the serve settings of this process (`PID`) when it runs 'postbacksim serve'")
	timeout := durationFlag(cmd.Flags(), "timeout", 3*time.Second, "give up after this long")
	cmd.RunE = a.action(func(ctx context.Context, cmd *cobra.Command, _ []string) int {
		stdout, stderr := a.stdout, a.stderr
		explicit := cmd.Flags().Changed("url")
		if !explicit {
			target, err := healthTarget(fmt.Sprintf("/proc/%d", *pid), os.Getenv)
			if err != nil {
				fmt.Fprintf(stderr, "postbacksim healthcheck: %v\n", err)
				return exitUsage
			}
			*u = target
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		// The server asked is our own, on loopback, and its certificate may
		// name another host: it is not checked.
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		status, body, err := healthGet(ctx, client, *u)
		if !explicit && err == nil && status == http.StatusBadRequest && strings.Contains(body, "HTTPS server") {
			// serve got --tls-cert as a flag, which this process cannot see:
			// ask again over HTTPS.
			*u = "https://" + strings.TrimPrefix(*u, "http://")
			status, _, err = healthGet(ctx, client, *u)
		}
		switch {
		case errors.Is(err, errBadURL):
			fmt.Fprintf(stderr, "postbacksim healthcheck: %v\n", err)
			return exitUsage
		case err != nil:
			fmt.Fprintf(stderr, "postbacksim healthcheck: %v\n", err)
			return exitFail
		case status != http.StatusOK:
			fmt.Fprintf(stderr, "postbacksim healthcheck: %s answered %d %s\n", *u, status, http.StatusText(status))
			return exitFail
		}
		fmt.Fprintln(stdout, "ok")
		return exitOK
	})
	return cmd
}

var errBadURL = errors.New("bad URL")

// healthTarget is the /healthz URL of the server to ask: the serve
// process at procDir when there is one, else the one this process's
// environment (and config file) describes.
func healthTarget(procDir string, getenv func(string) string) (string, error) {
	args, env, dir, ok := serveProcess(procDir)
	if !ok {
		args, env, dir = []string{"serve"}, getenv, "."
	}
	addr, https, err := serveSettings(args, env, dir)
	if err != nil {
		return "", fmt.Errorf("reading the server's settings: %w", err)
	}
	scheme := "http://"
	if https {
		scheme = "https://"
	}
	return scheme + addr + "/healthz", nil
}

// healthGet asks u and returns the status and the start of the body.
func healthGet(ctx context.Context, c *http.Client, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", fmt.Errorf("%w: %v", errBadURL, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, string(body), nil
}
