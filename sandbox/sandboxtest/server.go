// Package sandboxtest starts the whole postbacksim sandbox (both
// emulators, namespaces, metrics) on a loopback port for the length of a
// test, as net/http/httptest does for a handler:
//
//	srv := sandboxtest.NewServer(t)
//	resp, err := http.Get(srv.URL + "/track/activate/?callback=…&event_type=0&imei=…")
package sandboxtest

import (
	"context"
	"net/http"
	"net/http/httptest"

	"github.com/postbacksim/postbacksim/sandbox"
)

// Server is a sandbox listening on 127.0.0.1.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT, without a trailing
	// slash.
	URL string

	sb   *sandbox.Sandbox
	http *httptest.Server
	t    TB
}

// Option adjusts the sandbox.Config of a Server; options apply in the
// order given, each to what the ones before left. Any
// func(*sandbox.Config) is an Option:
//
//	sandboxtest.NewServer(t, func(c *sandbox.Config) { c.AdminToken = "s3cret" })
//
// With no option, the sandbox serves with every default and open admin
// endpoints, its state in memory.
type Option func(*sandbox.Config)

// NewServer starts a sandbox built from the options and stops it when
// the test ends: the listener closes and pending impact deliveries are
// cancelled. A nil option is none.
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	var cfg sandbox.Config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	sb := sandbox.New(cfg)
	hs := httptest.NewServer(sb)
	t.Cleanup(func() {
		hs.Close()
		sb.Close()
	})
	return &Server{sb: sb, URL: hs.URL, http: hs, t: t}
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.http.Client() }

// Close shuts the listener down and stops the sandbox early; t.Cleanup
// would do it anyway.
func (s *Server) Close() {
	s.http.Close()
	s.sb.Close()
}

// Namespace returns the emulators of the named namespace
// (sandbox.DefaultNamespace for the plain paths), creating it without a
// token of its own if it does not exist; it fails the test on a name the
// sandbox refuses.
func (s *Server) Namespace(name string) *sandbox.Tenant {
	s.t.Helper()
	ns, err := s.sb.Namespace(context.Background(), name)
	if err != nil {
		s.t.Fatalf("sandboxtest: Namespace(%q): %v", name, err)
	}
	return ns
}

// CreateNamespace creates the named namespace, opened by token (and the
// admin token; an empty token leaves it to the admin token), and returns
// its emulators; it fails the test when the sandbox refuses (the name
// exists, or breaks the rules).
func (s *Server) CreateNamespace(name, token string) *sandbox.Tenant {
	s.t.Helper()
	ns, err := s.sb.CreateNamespace(context.Background(), name, token)
	if err != nil {
		s.t.Fatalf("sandboxtest: CreateNamespace(%q): %v", name, err)
	}
	return ns
}
