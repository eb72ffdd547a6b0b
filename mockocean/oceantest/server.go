package oceantest

import (
	"context"
	"net/http"
	"net/http/httptest"

	"github.com/postbacksim/postbacksim/mockocean"
)

// Server is a mockocean.Server listening on a loopback port, in the spirit
// of httptest.Server. NewServer stops it through t.Cleanup.
type Server struct {
	*mockocean.Server
	// URL is the base URL, http://127.0.0.1:PORT (https:// for
	// NewTLSServer), without a trailing slash.
	URL string
	// ActivateURL is URL + mockocean.ActivatePath.
	ActivateURL string

	http *httptest.Server
}

// Option adjusts the mockocean.Config of a Server. With no option, the
// server runs with the zero Config: default mode, defaults for every
// bound, a random callback key.
type Option func(*mockocean.Config)

// WithConfig replaces the whole Config.
func WithConfig(c mockocean.Config) Option { return func(dst *mockocean.Config) { *dst = c } }

// WithStrict turns on strict mode: the documented rules only.
func WithStrict() Option { return func(c *mockocean.Config) { c.Strict = true } }

// WithVerifier turns on strict attribution with v.
func WithVerifier(v mockocean.CallbackVerifier) Option {
	return func(c *mockocean.Config) { c.StrictAttribution, c.Verifier = true, v }
}

// NewServer starts a mockocean.Server on 127.0.0.1 and stops it when the
// test ends.
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	return start(t, httptest.NewServer, opts)
}

// NewTLSServer is NewServer over HTTPS, which the Ocean Engine document
// recommends: for uploaders that insist on https URLs. Its certificate is
// trusted by Server.Client, not by http.DefaultClient.
func NewTLSServer(t TB, opts ...Option) *Server {
	t.Helper()
	return start(t, httptest.NewTLSServer, opts)
}

func start(t TB, listen func(http.Handler) *httptest.Server, opts []Option) *Server {
	var cfg mockocean.Config
	for _, o := range opts {
		o(&cfg)
	}
	srv := mockocean.New(cfg)
	hs := listen(srv)
	t.Cleanup(hs.Close)
	return &Server{Server: srv, URL: hs.URL, ActivateURL: hs.URL + mockocean.ActivatePath, http: hs}
}

// Client returns an HTTP client for the server: for a TLS server, one
// that trusts its certificate.
func (s *Server) Client() *http.Client { return s.http.Client() }

// SendClicks sends clicks as mockocean.Server.SendClicks does, with this
// server's URL as the callback base.
func (s *Server) SendClicks(ctx context.Context, o mockocean.ClickOptions) (mockocean.ClickReport, error) {
	if o.CallbackBase == "" {
		o.CallbackBase = s.URL
	}
	return s.Server.SendClicks(ctx, o)
}

// Close shuts the listener down early; t.Cleanup would do it anyway.
func (s *Server) Close() { s.http.Close() }
