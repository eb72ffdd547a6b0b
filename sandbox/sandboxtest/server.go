// Package sandboxtest starts the whole postbacksim sandbox (both
// emulators, namespaces, metrics) on a loopback port for the length of a
// test, as net/http/httptest does for a handler:
//
//	srv := sandboxtest.NewServer(t, sandbox.Config{})
//	resp, err := http.Get(srv.URL + "/track/activate/?callback=…&event_type=0&imei=…")
package sandboxtest

import (
	"net/http"
	"net/http/httptest"

	"github.com/postbacksim/postbacksim/sandbox"
)

// Server is a sandbox listening on 127.0.0.1.
type Server struct {
	*sandbox.Sandbox
	// URL is the base URL, http://127.0.0.1:PORT, without a trailing
	// slash.
	URL string

	http *httptest.Server
}

// NewServer starts a sandbox built from cfg (the zero Config serves with
// every default and open admin endpoints) and stops it when the test
// ends: the listener closes and pending impact deliveries are cancelled.
func NewServer(t TB, cfg sandbox.Config) *Server {
	t.Helper()
	sb := sandbox.New(cfg)
	hs := httptest.NewServer(sb)
	t.Cleanup(func() {
		hs.Close()
		sb.Close()
	})
	return &Server{Sandbox: sb, URL: hs.URL, http: hs}
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.http.Client() }
