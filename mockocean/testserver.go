package mockocean

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestServer is a Server listening on a loopback port, in the spirit of
// httptest.Server. NewTestServer closes it through t.Cleanup.
type TestServer struct {
	*Server
	// URL is the base URL, http://127.0.0.1:PORT (https:// for
	// NewTLSTestServer), without a trailing slash.
	URL string
	// ActivateURL is URL + ActivatePath.
	ActivateURL string

	http *httptest.Server
}

// Option adjusts the Config of a TestServer.
type Option func(*Config)

// WithConfig replaces the whole Config.
func WithConfig(c Config) Option { return func(dst *Config) { *dst = c } }

// WithStrict turns on strict mode.
func WithStrict() Option { return func(c *Config) { c.Strict = true } }

// WithVerifier turns on strict attribution with v.
func WithVerifier(v CallbackVerifier) Option {
	return func(c *Config) { c.StrictAttribution, c.Verifier = true, v }
}

// NewTestServer starts a Server on 127.0.0.1 and stops it when the test
// ends.
func NewTestServer(t testing.TB, opts ...Option) *TestServer {
	t.Helper()
	return newTestServer(t, httptest.NewServer, opts)
}

// NewTLSTestServer is NewTestServer over HTTPS, which the Ocean Engine
// document recommends: for uploaders that insist on https URLs. Its
// certificate is trusted by Client, not by http.DefaultClient.
func NewTLSTestServer(t testing.TB, opts ...Option) *TestServer {
	t.Helper()
	return newTestServer(t, httptest.NewTLSServer, opts)
}

func newTestServer(t testing.TB, start func(http.Handler) *httptest.Server, opts []Option) *TestServer {
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	srv := New(cfg)
	hs := start(srv)
	t.Cleanup(hs.Close)
	return &TestServer{Server: srv, URL: hs.URL, ActivateURL: hs.URL + ActivatePath, http: hs}
}

// Client returns an HTTP client for the server: for a TLS server, one
// that trusts its certificate.
func (ts *TestServer) Client() *http.Client { return ts.http.Client() }

// SendClicks sends clicks as Server.SendClicks does, with this server's
// URL as the callback base.
func (ts *TestServer) SendClicks(ctx context.Context, o ClickOptions) (ClickReport, error) {
	if o.CallbackBase == "" {
		o.CallbackBase = ts.URL
	}
	return ts.Server.SendClicks(ctx, o)
}

// Close shuts the listener down early; t.Cleanup would do it anyway.
func (ts *TestServer) Close() { ts.http.Close() }
