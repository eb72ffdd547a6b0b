package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// The security suite: what a shared sandbox must refuse to strangers.
// No test here sends a packet beyond loopback, even with the guard
// broken: the target policy is tested at the dialer, with a resolver
// that answers from a table and a dial hook that records instead of
// connecting.

// tableResolver answers from a table, never from a real DNS server.
type tableResolver map[string][]string

func (f tableResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// dialRecorder records the addresses it is asked to dial and connects
// to none of them.
type dialRecorder struct {
	mu    sync.Mutex
	addrs []string
}

var errNotDialed = errors.New("recorded, not dialed")

func (r *dialRecorder) dial(_ context.Context, _, addr string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, addr)
	return nil, errNotDialed
}

func (r *dialRecorder) dialed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.addrs...)
}

// guarded is a sandbox whose impact dispatcher and Ocean clicks go
// through the target policy to a dialRecorder.
type guarded struct {
	sb  *Sandbox
	hs  *httptest.Server
	rec *dialRecorder
}

// newGuarded starts a sandbox with the policy; self is filled with the
// server's own address.
func newGuarded(t *testing.T, cfg Config, allow ...string) *guarded {
	t.Helper()
	// The listener comes first: the policy must know the sandbox's own
	// address, as serve does.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	policy := &mockimpact.TargetPolicy{DenyPrivate: true, Self: []netip.AddrPort{netip.MustParseAddrPort(ln.Addr().String())}}
	for _, a := range allow {
		policy.Allow = append(policy.Allow, netip.MustParsePrefix(a))
	}
	g := &guarded{rec: &dialRecorder{}}
	cfg.Impact.Resolver = tableResolver{
		"localhost":        {"127.0.0.1", "::1"},
		"127.1":            {"127.0.0.1"},
		"rebind.example":   {"127.0.0.1"},
		"metadata.example": {"169.254.169.254"},
		"public.example":   {"93.184.216.34"},
	}
	cfg.Impact.TargetPolicy = policy
	cfg.Impact.Transport = mockimpact.NewLiveTransportWith(mockimpact.LiveOptions{Policy: policy, Dial: g.rec.dial})
	cfg.Ocean.ClickTransport = mockimpact.NewLiveTransportWith(mockimpact.LiveOptions{Policy: policy, Dial: g.rec.dial})
	g.sb = New(cfg)
	g.hs = httptest.NewUnstartedServer(g.sb)
	g.hs.Listener.Close()
	g.hs.Listener = ln
	g.hs.Start()
	t.Cleanup(func() { g.hs.Close(); g.sb.Close() })
	return g
}

// TestEveryAdminRouteNeedsAToken: every admin route, enumerated from the
// routers, refuses a missing token (401), a wrong one (403) and another
// namespace's (403), in the default namespace and in a named one, by
// header and by cookie; none of those requests changes anything.
func TestEveryAdminRouteNeedsAToken(t *testing.T) {
	sb := New(Config{AdminToken: adminTok, Pprof: true})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	for name, tok := range map[string]string{"team-a": tokA, "team-b": tokB} {
		if _, err := sb.CreateNamespace(context.Background(), name, tok); err != nil {
			t.Fatal(err)
		}
	}
	routes := sb.AdminRoutes()
	for _, want := range []Route{
		{"POST", NamespacesPath}, {"DELETE", NamespacesPath + "/{name}"},
		{"DELETE", "/_admin/ocean/faults/{id}"}, {"POST", "/_admin/ocean/clicks"},
		{"PUT", "/_admin/impact/postbacks/{event}"}, {"POST", "/_admin/impact/events/{event}"},
		{"GET", pprofPrefix + "{name}"},
	} {
		found := false
		for _, r := range routes {
			found = found || r == want
		}
		if !found {
			t.Fatalf("AdminRoutes lacks %v: the enumeration is broken (%d routes)", want, len(routes))
		}
	}
	vars := regexp.MustCompile(`\{[^}]+\}`)
	send := func(method, path string, header map[string]string) (int, string) {
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(`{"status":503}`))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	cookie := func(tok string) map[string]string {
		return map[string]string{"Cookie": TokenCookie + "=" + tok, CSRFHeader: CSRFToken(tok)}
	}
	n := 0
	for _, r := range routes {
		path := vars.ReplaceAllString(r.Path, "x1")
		for _, prefix := range []string{"", "/ns/team-b"} {
			if strings.HasPrefix(path, pprofPrefix) && prefix != "" {
				continue // the profiles are the process's, not a namespace's
			}
			p := prefix + path
			for _, c := range []struct {
				who    string
				header map[string]string
				want   int
			}{
				{"no token", nil, 401},
				{"a wrong token", bearer("wrong-token-0123456789"), 403},
				{"team-a's token", bearer(tokA), 403},
				{"a wrong cookie", cookie("wrong-token-0123456789"), 403},
				{"team-a's cookie", cookie(tokA), 403},
			} {
				n++
				if s, b := send(r.Method, p, c.header); s != c.want {
					t.Errorf("%s %s with %s: %d %.120s, want %d", r.Method, p, c.who, s, b, c.want)
				}
			}
		}
	}
	// Paths no router knows yet are refused too: a route added later under
	// /_admin/ is guarded before it exists.
	for _, p := range []string{"/_admin/", "/_admin/inspector", "/ns/team-b/_admin/new/thing", "/_admin/namespaces/team-a/token"} {
		if s, _ := send("GET", p, nil); s != 401 {
			t.Errorf("GET %s without a token: %d, want 401", p, s)
		}
	}
	if n < 5*30 {
		t.Fatalf("only %d requests: the enumeration lost routes", n)
	}
	// Nothing changed: both namespaces remain, no fault rule was added.
	if len(testtb.Must(sb.Namespaces(context.Background()))) != 3 || len(testtb.Must(sb.Ocean.Faults(context.Background()))) != 0 || len(testtb.Must(sb.lookup("team-b").Ocean.Faults(context.Background()))) != 0 {
		t.Fatalf("refused requests changed the sandbox: %d namespaces", len(testtb.Must(sb.Namespaces(context.Background()))))
	}
	// The right tokens open them (the routes exist and the refusals above
	// were for the token).
	if s, _ := send("GET", "/ns/team-b/_admin/ocean/faults", bearer(tokB)); s != 200 {
		t.Errorf("team-b's token on team-b: %d", s)
	}
	if s, _ := send("GET", "/ns/team-b/_admin/ocean/faults", cookie(tokB)); s != 200 {
		t.Errorf("team-b's cookie on team-b: %d", s)
	}
	if s, _ := send("GET", pprofPrefix, bearer(adminTok)); s != 200 {
		t.Errorf("profiles with the admin token: %d", s)
	}
}

// TestSSRFTargetsBlocked: postbacks (and Ocean clicks) to the sandbox
// itself, loopback, private, shared, link-local and unique-local
// addresses end blocked_target, final, in the journal and /metrics, and
// the dialer is never asked for them.
func TestSSRFTargetsBlocked(t *testing.T) {
	g := newGuarded(t, Config{})
	_, port, _ := net.SplitHostPort(g.hs.Listener.Addr().String())
	admin := client{t: t, base: g.hs.URL}
	targets := []string{
		"http://localhost:" + port + "/_admin/namespaces",
		"http://127.0.0.1:" + port + "/_admin/ocean/faults",
		"http://localhost/x",
		"http://127.1/x",
		"http://[::1]/x",
		"http://[::ffff:127.0.0.1]/x",
		"http://rebind.example/x", // a name that resolves to 127.0.0.1
		"http://169.254.169.254/latest/meta-data/",
		"http://metadata.example/latest/meta-data/",
		"http://10.0.0.1/x",
		"http://10.200.3.4:8443/x",
		"http://172.16.5.5/x",
		"http://192.168.0.1/x",
		"http://100.64.0.1/x",
		"http://[fd00::1]/x",
		"http://[fe80::1]/x",
		"http://0.0.0.0:" + port + "/x",
	}
	for i, u := range targets {
		if s, b := admin.do("PUT", "/_admin/impact/postbacks/job_completed", fmt.Sprintf(`{"url":%q}`, u)); s != 200 {
			t.Fatalf("%s: PUT %d %s", u, s, b)
		}
		if s, b := admin.do("POST", "/_admin/impact/events/job_completed", ""); s != 202 {
			t.Fatalf("%s: fire %d %s", u, s, b)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := g.sb.Impact.WaitForAttempts(ctx, i+1)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
	}
	ds := impactDeliveries(t, g.sb.Impact)
	if len(ds) != len(targets) {
		t.Fatalf("%d deliveries for %d targets", len(ds), len(targets))
	}
	for _, d := range ds {
		a := d.Attempts[len(d.Attempts)-1]
		if d.Outcome != mockimpact.DeliveryBlocked || a.Outcome != mockimpact.OutcomeBlockedTarget || a.Retry || len(d.Attempts) != 1 || !strings.Contains(a.Error, "blocked target") {
			t.Errorf("%s: delivery %s, attempt %s (retry %v, %d attempts) %q; want blocked_target, final", d.Request.URL, d.Outcome, a.Outcome, a.Retry, len(d.Attempts), a.Error)
		}
	}
	_, journal := admin.do("GET", "/_admin/impact/deliveries?outcome=blocked_target", "")
	if !strings.Contains(journal, fmt.Sprintf(`"count": %d`, len(targets))) {
		t.Errorf("the journal's blocked_target filter: %.300s", journal)
	}
	_, m := admin.do("GET", "/metrics", "")
	if want := fmt.Sprintf(`postbacksim_impact_attempts_total{event="job_completed",namespace="default",outcome="blocked_target"} %d`, len(targets)); !strings.Contains(m, want) {
		t.Errorf("/metrics lacks %s", want)
	}
	// Ocean clicks go through the same policy.
	s, b := admin.do("POST", "/_admin/ocean/clicks", `{"monitor_url":"http://169.254.169.254/?cb=__CALLBACK_PARAM__","count":2}`)
	if s >= 500 || strings.Contains(b, `"answered": 2`) {
		t.Errorf("clicks to the metadata address: %d %s", s, b)
	}
	s, b = admin.do("POST", "/_admin/ocean/clicks", `{"monitor_url":"http://127.0.0.1:`+port+`/track/activate/?callback=__CALLBACK_PARAM__","count":1}`)
	if s >= 500 || !strings.Contains(b, "blocked target") {
		t.Errorf("clicks to the sandbox itself: %d %s", s, b)
	}
	if got := g.rec.dialed(); len(got) > 0 {
		t.Errorf("the dialer was asked for %v", got)
	}
}

// TestAllowTargetsKeepsSelfBlocked: --allow-targets opens a range, but
// never the sandbox's own address in it.
func TestAllowTargetsKeepsSelfBlocked(t *testing.T) {
	g := newGuarded(t, Config{}, "127.0.0.0/8")
	_, port, _ := net.SplitHostPort(g.hs.Listener.Addr().String())
	admin := client{t: t, base: g.hs.URL}
	for i, u := range []string{"http://127.0.0.1:" + port + "/_admin/namespaces", "http://127.0.0.1:9/receiver", "http://public.example/x"} {
		admin.do("PUT", "/_admin/impact/postbacks/job_completed", fmt.Sprintf(`{"url":%q}`, u))
		admin.do("POST", "/_admin/impact/events/job_completed", "")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = g.sb.Impact.WaitForAttempts(ctx, i+1)
		cancel()
	}
	ds := impactDeliveries(t, g.sb.Impact)
	if len(ds) != 3 || ds[0].Attempts[0].Outcome != mockimpact.OutcomeBlockedTarget ||
		ds[1].Attempts[0].Outcome != mockimpact.OutcomeNetworkError || ds[2].Attempts[0].Outcome != mockimpact.OutcomeNetworkError {
		t.Fatalf("deliveries: %+v", ds)
	}
	if got := strings.Join(g.rec.dialed(), " "); got != "127.0.0.1:9 93.184.216.34:80" {
		t.Errorf("dialed %s, want the allowed receiver and the public address only", got)
	}
}

// TestAnonymousCannotExhaustNamespaces: with an admin token, no amount
// of anonymous traffic or wrong tokens creates a namespace; the teams
// an administrator creates still fit.
func TestAnonymousCannotExhaustNamespaces(t *testing.T) {
	sb := New(Config{AdminToken: adminTok, MaxNamespaces: 3})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	anon, wrong := client{t: t, base: hs.URL}, client{t: t, base: hs.URL, token: "wrong-token-0123456789"}
	for i := range 100 {
		if s, _ := anon.do("GET", fmt.Sprintf("/ns/anon-%d/track/activate/?callback=c&idfa=i&event_type=0", i), ""); s != 404 {
			t.Fatalf("anonymous traffic to a new namespace: %d", s)
		}
		if s, _ := wrong.do("POST", fmt.Sprintf("/ns/anon-%d/_admin/ocean/faults", i), `{"status":503}`); s != 403 {
			t.Fatalf("a wrong token on a new namespace: %d", s)
		}
		if s, _ := wrong.do("POST", NamespacesPath, fmt.Sprintf(`{"name":"anon-%d"}`, i)); s != 403 {
			t.Fatalf("a wrong token creating a namespace: %d", s)
		}
	}
	if n := len(testtb.Must(sb.Namespaces(context.Background()))); n != 1 {
		t.Fatalf("anonymous traffic created %d namespaces", n-1)
	}
	admin := client{t: t, base: hs.URL, token: adminTok}
	for _, name := range []string{"team-a", "team-b", "team-c"} {
		if s, b := admin.do("POST", NamespacesPath, `{"name":"`+name+`","token":"`+name+`-token-0123456789"}`); s != 201 {
			t.Fatalf("%s: %d %s", name, s, b)
		}
	}
	if s, b := admin.do("POST", NamespacesPath, `{"name":"team-d"}`); s != 409 || !strings.Contains(b, "--max-namespaces") {
		t.Errorf("past the limit: %d %s", s, b)
	}
}

// TestTokensNeverLeak: no token appears in the log (access log or not,
// accepted or refused, header, cookie or body) or in any answer.
func TestTokensNeverLeak(t *testing.T) {
	const wrongTok = "wrong-token-abcdefghij"
	secrets := []string{adminTok, tokA, tokB, wrongTok, CSRFToken(tokA)}
	for _, access := range []bool{false, true} {
		var logBuf bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logBuf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		sb := New(Config{AdminToken: adminTok, Logger: logger, AccessLog: access, MetricsToken: "metrics-token-abcdefg"})
		hs := httptest.NewServer(sb)
		var answers bytes.Buffer
		do := func(method, path, body string, header map[string]string) {
			req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
			for k, v := range header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = answers.ReadFrom(resp.Body)
			for k, vs := range resp.Header {
				answers.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
			}
			resp.Body.Close()
		}
		b := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
		do("POST", NamespacesPath, `{"name":"team-a","token":"`+tokA+`"}`, b(adminTok))
		do("POST", NamespacesPath, `{"name":"team-b","token":"`+tokB+`"}`, b(adminTok))
		do("POST", NamespacesPath, `{"name":"team-a","token":"`+tokA+`"}`, b(adminTok))   // 409
		do("POST", NamespacesPath, `{"name":"Bad!","token":"`+tokA+`"}`, b(adminTok))     // 400
		do("POST", NamespacesPath, `{"name":"team-c","token":"`+tokA+` x"}`, b(adminTok)) // bad token
		do("POST", NamespacesPath, `{"name":"team-c","tokn":"`+tokA+`"}`, b(adminTok))    // unknown field
		do("GET", NamespacesPath, "", b(adminTok))
		do("GET", NamespacesPath+"/team-a", "", b(adminTok))
		do("GET", "/ns/team-a/_admin/ocean/requests", "", b(tokA))
		do("GET", "/ns/team-a/_admin/ocean/requests", "", b(wrongTok))
		do("GET", "/ns/team-b/_admin/ocean/requests", "", b(tokA))
		do("DELETE", "/ns/team-a/_admin/ocean/faults", "", map[string]string{"Cookie": TokenCookie + "=" + tokA, CSRFHeader: CSRFToken(tokA)})
		do("DELETE", "/ns/team-a/_admin/ocean/faults", "", map[string]string{"Cookie": TokenCookie + "=" + tokA})
		do("DELETE", "/ns/team-a/_admin/ocean/faults", "", map[string]string{"Cookie": TokenCookie + "=" + wrongTok})
		do("GET", "/ns/team-a/track/activate/?callback=c&idfa=i&event_type=0", "", b(tokA))
		do("GET", "/track/activate/?callback=c&idfa=i&event_type=0", "", b(adminTok))
		do("GET", "/_admin/ocean/requests", "", b(adminTok))
		do("GET", "/ns/team-a/_admin/ocean/requests", "", b(adminTok))
		do("GET", "/metrics", "", b(wrongTok))
		do("GET", "/metrics", "", b("metrics-token-abcdefg"))
		do("GET", "/ns/nope/track/activate/", "", b(tokA))
		hs.Close()
		sb.Close()
		mu.Lock()
		logs := logBuf.String()
		mu.Unlock()
		if !strings.Contains(logs, `"status":403`) {
			t.Fatalf("access log %v: the refusals were not logged, the check would prove nothing:\n%s", access, logs)
		}
		for _, s := range secrets {
			if strings.Contains(logs, s) {
				t.Errorf("access log %v: the log holds %q:\n%s", access, s, logs)
			}
			if strings.Contains(answers.String(), s) {
				t.Errorf("access log %v: an answer holds %q", access, s)
			}
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// namespaceRule is the documented rule, written out independently of
// CheckNamespace's regular expression.
func namespaceRule(name string) bool {
	if len(name) < 1 || len(name) > 63 {
		return false
	}
	for i, c := range []byte(name) {
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_') {
			return false
		}
	}
	return true
}

// oneSegment reports whether name is one clean path segment (else the
// mux redirects to the cleaned path, or the name ends at the slash).
func oneSegment(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.Contains(name, "/")
}

// FuzzNamespaceName: CheckNamespace follows the documented rule; a
// refused name gets 400 naming the rule; with an admin token no name
// creates a namespace by traffic; an accepted one can be created and
// deleted through the API.
func FuzzNamespaceName(f *testing.F) {
	for _, s := range []string{"team-a", "default", "", "-a", "a_", "A", "a b", "a/b", "..", "%2e%2e", "a\x00", "é", strings.Repeat("a", 63), strings.Repeat("a", 64), "ns\n"} {
		f.Add(s)
	}
	sb := New(Config{AdminToken: adminTok, MaxNamespaces: 4})
	f.Cleanup(func() { sb.Close() })
	f.Fuzz(func(t *testing.T, name string) {
		err := CheckNamespace(name)
		if ok := namespaceRule(name); ok != (err == nil) {
			t.Fatalf("CheckNamespace(%q) = %v, the rule says %v", name, err, ok)
		}
		for _, path := range []string{"/ns/" + name + "/track/activate/", "/ns/" + name + "/_admin/ocean/requests"} {
			req := httptest.NewRequest("GET", "/", nil)
			req.URL = &url.URL{Path: path}
			rec := httptest.NewRecorder()
			sb.ServeHTTP(rec, req)
			switch {
			case rec.Code >= 500:
				t.Fatalf("%q: %d %s", path, rec.Code, rec.Body)
			case err != nil && strings.HasSuffix(path, "/track/activate/") && oneSegment(name) && (rec.Code != 400 || !strings.Contains(rec.Body.String(), "want 1–63 of a-z, 0-9")):
				t.Fatalf("%q: bad name answered %d %s", path, rec.Code, rec.Body)
			}
		}
		if n := len(testtb.Must(sb.Namespaces(context.Background()))); n != 1 {
			t.Fatalf("traffic to %q created a namespace", name)
		}
		if err == nil && name != DefaultNamespace {
			if _, err := sb.CreateNamespace(context.Background(), name, tokA); err != nil {
				t.Fatalf("CreateNamespace(%q): %v", name, err)
			}
			if err := sb.DeleteNamespace(context.Background(), name); err != nil {
				t.Fatalf("DeleteNamespace(%q): %v", name, err)
			}
		}
	})
}

// FuzzAdminBodies: any body to any admin route that takes one gets an
// answer below 500 (a refusal is JSON naming what is wrong), and never
// echoes a namespace token. Postbacks and clicks it makes the sandbox
// send go through the target policy to a recorder.
func FuzzAdminBodies(f *testing.F) {
	for i, s := range []string{
		`{"name":"team-x","token":"` + tokA + `"}`, `{"name":"team-y"}`, `{"name":7}`, `{"token":"` + tokB + `"}`, `[]`, `null`, `{`, "",
		`{"status":503,"times":1}`, `{"url":"http://10.0.0.1/x"}`, `{"url":"http://public.example/x","timeout":"1s"}`, `{"JobId":7}`,
		`{"match":{"event_type":"2"},"code":40002}`, `{"name":"a","token":"` + strings.Repeat("t", 300) + `"}`,
	} {
		f.Add(uint8(i), []byte(s))
	}
	sb := New(Config{AdminToken: adminTok, MaxNamespaces: 4})
	var routes []Route
	for _, r := range sb.AdminRoutes() {
		// clicks are left out: a body may ask for thousands at a slow
		// rate, minutes of sending (the refusals are tested above).
		if (r.Method == "POST" || r.Method == "PUT") && !strings.HasSuffix(r.Path, "/clicks") {
			routes = append(routes, r)
		}
	}
	sb.Close()
	if len(routes) < 4 {
		f.Fatalf("only %d admin routes take a body", len(routes))
	}
	rec := &dialRecorder{}
	policy := &mockimpact.TargetPolicy{DenyPrivate: true}
	g := New(Config{AdminToken: adminTok, MaxNamespaces: 4, Impact: mockimpact.Options{
		Resolver: tableResolver{"public.example": {"93.184.216.34"}}, TargetPolicy: policy,
		Transport: mockimpact.NewLiveTransportWith(mockimpact.LiveOptions{Policy: policy, Dial: rec.dial}),
	}})
	f.Cleanup(func() { g.Close() })
	vars := regexp.MustCompile(`\{[^}]+\}`)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		r := routes[int(which)%len(routes)]
		path := vars.ReplaceAllString(r.Path, "job_completed")
		req := httptest.NewRequest(r.Method, path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminTok)
		w := httptest.NewRecorder()
		g.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", r.Method, path, body, w.Code, w.Body)
		}
		if w.Code >= 400 && (!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") || !strings.Contains(w.Body.String(), `"error"`)) {
			t.Fatalf("%s %s %q: %d without a JSON error: %s", r.Method, path, body, w.Code, w.Body)
		}
		if r.Path == NamespacesPath {
			for _, tok := range []string{tokA, tokB, strings.Repeat("t", 300)} {
				if bytes.Contains(body, []byte(tok)) && strings.Contains(w.Body.String(), tok) {
					t.Fatalf("the answer echoes the token: %s", w.Body)
				}
			}
			for _, ns := range testtb.Must(g.Namespaces(context.Background())) {
				if ns.Name != DefaultNamespace {
					_ = g.DeleteNamespace(context.Background(), ns.Name)
				}
			}
		}
		for _, a := range rec.dialed() {
			if ap, err := netip.ParseAddrPort(a); err != nil || policy.Check(ap) != nil {
				t.Fatalf("dialed %s", a)
			}
		}
	})
}
