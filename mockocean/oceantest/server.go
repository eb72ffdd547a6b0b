package oceantest

import (
	"context"
	"net/http"
	"net/http/httptest"

	"github.com/postbacksim/postbacksim/mockocean"
)

// Server is a mockocean.Server listening on a loopback port, in the
// spirit of httptest.Server. NewServer stops it through t.Cleanup. Its
// methods read and change the emulator's state as the test needs it, and
// fail the test when the state cannot be read (a shared store that does
// not answer); what the emulator offers beyond tests (its admin router,
// its store) stays out of the way.
type Server struct {
	// URL is the base URL, http://127.0.0.1:PORT (https:// for
	// NewTLSServer), without a trailing slash.
	URL string
	// ActivateURL is URL + mockocean.ActivatePath.
	ActivateURL string
	// V2URL is URL + mockocean.V2Path, the newer conversion API's.
	V2URL string

	srv  *mockocean.Server
	http *httptest.Server
	t    TB
}

// Option adjusts the mockocean.Config of a Server; options apply in the
// order given, each to what the ones before left. Any
// func(*mockocean.Config) is an Option:
//
//	oceantest.NewServer(t, oceantest.WithStrict(), func(c *mockocean.Config) { c.JournalCapacity = 3 })
//
// With no option, the server runs with the zero Config: default mode (the
// document's rules),
// defaults for every bound, a random callback key, its state in memory.
type Option func(*mockocean.Config)

// WithStrict turns on strict mode: every warning becomes an error. It
// undoes WithLenient.
func WithStrict() Option { return func(c *mockocean.Config) { c.Strict, c.Lenient = true, false } }

// WithLenient turns on lenient mode: what real clients send outside the
// document's explicit rules (mockocean.Leniencies) is accepted with a
// warning. It undoes WithStrict.
func WithLenient() Option { return func(c *mockocean.Config) { c.Lenient, c.Strict = true, false } }

// WithAppSecret makes the v2 API check x-signature with secret, as the
// SDK signs: hex(sha256(body + secret)).
func WithAppSecret(secret string) Option { return func(c *mockocean.Config) { c.AppSecret = secret } }

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
	return &Server{srv: srv, URL: hs.URL, ActivateURL: hs.URL + mockocean.ActivatePath, V2URL: hs.URL + mockocean.V2Path, http: hs, t: t}
}

// Client returns an HTTP client for the server: for a TLS server, one
// that trusts its certificate.
func (s *Server) Client() *http.Client { return s.http.Client() }

// Close shuts the listener down early; t.Cleanup would do it anyway.
func (s *Server) Close() { s.http.Close() }

// must fails the test on err, naming the method.
func (s *Server) must(method string, err error) {
	if err != nil {
		s.t.Helper()
		s.t.Fatalf("oceantest: %s: %v", method, err)
	}
}

// Requests returns the journal, oldest first.
func (s *Server) Requests() []mockocean.Request {
	s.t.Helper()
	out, err := s.srv.Requests(context.Background())
	s.must("Requests", err)
	return out
}

// RequestsSince returns the journaled requests whose Seq is above seq,
// oldest first.
func (s *Server) RequestsSince(seq uint64) []mockocean.Request {
	s.t.Helper()
	out, err := s.srv.RequestsSince(context.Background(), seq)
	s.must("RequestsSince", err)
	return out
}

// FilterRequests returns the journal entries that pass f.
func (s *Server) FilterRequests(f mockocean.RequestFilter) []mockocean.Request {
	s.t.Helper()
	out, err := s.srv.FilterRequests(context.Background(), f)
	s.must("FilterRequests", err)
	return out
}

// Conversions returns the accepted conversions (code 0), oldest first.
func (s *Server) Conversions() []mockocean.Conversion {
	s.t.Helper()
	out, err := s.srv.Conversions(context.Background())
	s.must("Conversions", err)
	return out
}

// WaitForRequests blocks until the server has journaled at least n
// requests since the last ResetJournal, or ctx is done (its error then).
func (s *Server) WaitForRequests(ctx context.Context, n int) error {
	return s.srv.WaitForRequests(ctx, n)
}

// JournalStats reports how many requests the journal holds and dropped.
func (s *Server) JournalStats() mockocean.JournalStats {
	s.t.Helper()
	st, err := s.srv.JournalStats(context.Background())
	s.must("JournalStats", err)
	return st
}

// ResetJournal empties the journal and restarts its numbering.
func (s *Server) ResetJournal() {
	s.t.Helper()
	s.must("ResetJournal", s.srv.ResetJournal(context.Background()))
}

// DedupStats reports the duplicate filter's size and evictions.
func (s *Server) DedupStats() mockocean.DedupStats {
	s.t.Helper()
	st, err := s.srv.DedupStats(context.Background())
	s.must("DedupStats", err)
	return st
}

// ResetDedup forgets every outer_event_id.
func (s *Server) ResetDedup() {
	s.t.Helper()
	s.must("ResetDedup", s.srv.ResetDedup(context.Background()))
}

// InjectFault adds a fault rule and returns it with its ID; a rule the
// emulator refuses fails the test with the reason.
func (s *Server) InjectFault(f mockocean.Fault) mockocean.Fault {
	s.t.Helper()
	out, err := s.srv.InjectFault(context.Background(), f)
	s.must("InjectFault", err)
	return out
}

// Faults lists the fault rules with their hit counts.
func (s *Server) Faults() []mockocean.Fault {
	s.t.Helper()
	out, err := s.srv.Faults(context.Background())
	s.must("Faults", err)
	return out
}

// RemoveFault deletes the rule with id; it reports whether one existed.
func (s *Server) RemoveFault(id string) bool {
	s.t.Helper()
	ok, err := s.srv.RemoveFault(context.Background(), id)
	s.must("RemoveFault", err)
	return ok
}

// ClearFaults deletes every fault rule.
func (s *Server) ClearFaults() {
	s.t.Helper()
	s.must("ClearFaults", s.srv.ClearFaults(context.Background()))
}

// Issuer returns the server's callback issuer, which signs the
// callbacks of the clicks it sends.
func (s *Server) Issuer() *mockocean.Issuer { return s.srv.Issuer() }

// SendClicks sends clicks as mockocean.Server.SendClicks does, with this
// server's URL as the callback base.
func (s *Server) SendClicks(ctx context.Context, o mockocean.ClickOptions) (mockocean.ClickReport, error) {
	if o.CallbackBase == "" {
		o.CallbackBase = s.URL
	}
	return s.srv.SendClicks(ctx, o)
}

// Clicks returns the clicks sent, oldest first.
func (s *Server) Clicks() []mockocean.SentClick { return s.srv.Clicks() }

// Report lints the journal as `postbacksim ocean report` does: what an
// uploader should fix.
func (s *Server) Report() mockocean.TrafficReport {
	s.t.Helper()
	return mockocean.Lint(s.Requests())
}
