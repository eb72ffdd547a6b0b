package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
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
the address serve listens on ($POSTBACKSIM_ADDR, 0.0.0.0 meaning 127.0.0.1), over
HTTPS when $POSTBACKSIM_TLS_CERT is set or the server answers that it speaks HTTPS.`,
		Example: `  postbacksim healthcheck
  postbacksim healthcheck --url http://127.0.0.1:8080/healthz --timeout 1s`,
		Args: noArgs,
	}
	addr := os.Getenv(envName("addr"))
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	scheme := "http://"
	if os.Getenv(envName("tls-cert")) != "" {
		scheme = "https://"
	}
	u := cmd.Flags().String("url", scheme+addr+"/healthz", "health `URL` to ask (https when $POSTBACKSIM_TLS_CERT is set)")
	timeout := cmd.Flags().Duration("timeout", 3*time.Second, "give up after this long")
	cmd.RunE = a.action(func(ctx context.Context, cmd *cobra.Command, _ []string) int {
		stdout, stderr := a.stdout, a.stderr
		explicit := cmd.Flags().Changed("url")
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
			fmt.Fprintf(stderr, "healthcheck: %v\n", err)
			return exitUsage
		case err != nil:
			fmt.Fprintf(stderr, "healthcheck: %v\n", err)
			return exitFail
		case status != http.StatusOK:
			fmt.Fprintf(stderr, "healthcheck: %s answered %d %s\n", *u, status, http.StatusText(status))
			return exitFail
		}
		fmt.Fprintln(stdout, "ok")
		return exitOK
	})
	return cmd
}

var errBadURL = errors.New("bad URL")

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
