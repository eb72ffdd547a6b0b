package sandboxclient_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandboxclient"
)

// start serves a sandbox built from cfg on 127.0.0.1 for the test and
// returns its URL and a client for it with opts.
func start(t *testing.T, cfg sandbox.Config, opts ...sandboxclient.Option) (string, *sandboxclient.Client) {
	t.Helper()
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() {
		srv.Close()
		sb.Close()
	})
	c, err := sandboxclient.New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, c
}

// get sends GET url (a conversion, a click) and drops the answer.
func get(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// asError is err's *sandboxclient.Error; it fails the test without one
// of status.
func asError(t *testing.T, err error, status int) *sandboxclient.Error {
	t.Helper()
	var e *sandboxclient.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T): want a *sandboxclient.Error with HTTP %d", err, err, status)
	}
	if e.StatusCode != status || !sandboxclient.IsStatus(err, status) {
		t.Fatalf("error %v: want HTTP %d", err, status)
	}
	return e
}

func TestNewChecksTheBaseURLAndNamespace(t *testing.T) {
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://127.0.0.1", "http://", "http://127.0.0.1:8080/?a=1", "http://127.0.0.1:8080/#x", "http://[::1", "/relative"} {
		if c, err := sandboxclient.New(bad); err == nil {
			t.Errorf("New(%q) = %v, want an error", bad, c)
		}
	}
	if _, err := sandboxclient.New("http://127.0.0.1:8080", sandboxclient.WithNamespace("Team A")); err == nil || !strings.Contains(err.Error(), "namespace") {
		t.Errorf("a bad namespace: %v", err)
	}
	c, err := sandboxclient.New("http://127.0.0.1:8080", sandboxclient.WithNamespace(sandbox.DefaultNamespace))
	if err != nil || c.NamespaceName() != sandbox.DefaultNamespace || c.Namespace("team-a").NamespaceName() != "team-a" {
		t.Fatalf("New: %v, %v", c, err)
	}
}

// A base URL with a path (a reverse proxy's prefix) keeps it, with or
// without a trailing slash.
func TestBaseURLPath(t *testing.T) {
	sb := sandbox.New(sandbox.Config{})
	t.Cleanup(func() { sb.Close() })
	srv := httptest.NewServer(http.StripPrefix("/sandbox", sb))
	t.Cleanup(srv.Close)
	for _, base := range []string{srv.URL + "/sandbox", srv.URL + "/sandbox/"} {
		c, err := sandboxclient.New(base)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Health(t.Context()); err != nil {
			t.Errorf("%s: %v", base, err)
		}
		if _, err := c.Namespace("team-a").Conversions(t.Context()); err != nil {
			t.Errorf("%s, a namespace: %v", base, err)
		}
	}
}

func TestHealthAndReady(t *testing.T) {
	_, c := start(t, sandbox.Config{AdminToken: "s3cret"})
	ctx := t.Context()
	if err := c.Health(ctx); err != nil {
		t.Errorf("Health: %v", err)
	}
	if err := c.Namespace("team-a").Ready(ctx); err != nil { // the sandbox's own, whatever the namespace
		t.Errorf("Ready: %v", err)
	}
}

// A sandbox with an admin token: 401 without a token, 403 with a wrong
// one, each an *Error with the server's message.
func TestTokens(t *testing.T) {
	base, admin := start(t, sandbox.Config{AdminToken: "s3cret"}, sandboxclient.WithToken("s3cret"))
	ctx := t.Context()
	if _, err := admin.Faults(ctx); err != nil {
		t.Fatalf("with the admin token: %v", err)
	}
	anon, _ := sandboxclient.New(base)
	_, err := anon.Faults(ctx)
	e := asError(t, err, http.StatusUnauthorized)
	if !strings.Contains(e.Message, "Authorization: Bearer") || e.Method != http.MethodGet || e.URL != base+"/_admin/ocean/faults" ||
		!strings.Contains(string(e.Body), `"error"`) {
		t.Errorf("401: %+v", e)
	}
	if got, want := e.Error(), "GET "+base+"/_admin/ocean/faults: HTTP 401 Unauthorized: admin endpoints need"; !strings.HasPrefix(got, want) {
		t.Errorf("Error() = %q, want the prefix %q", got, want)
	}
	wrong, _ := sandboxclient.New(base, sandboxclient.WithToken("nope"))
	_, err = wrong.Namespaces(ctx)
	if e := asError(t, err, http.StatusForbidden); !strings.Contains(e.Message, "needs the admin token") {
		t.Errorf("403: %+v", e)
	}
}

// A network failure names the operation and wraps the cause.
func TestNetworkErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c, _ := sandboxclient.New(base)
	_, err := c.Deliveries(t.Context(), sandboxclient.DeliveryFilter{})
	var ue *url.Error
	var e *sandboxclient.Error
	if err == nil || !errors.As(err, &ue) || errors.As(err, &e) || !strings.HasPrefix(err.Error(), "sandboxclient.Deliveries: ") {
		t.Errorf("a closed server: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, c = start(t, sandbox.Config{})
	if _, err := c.Conversions(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}
	// Not the sandbox: an answer that is not its JSON.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "<html>") }))
	t.Cleanup(other.Close)
	c, _ = sandboxclient.New(other.URL)
	if _, err := c.Faults(t.Context()); err == nil || !strings.Contains(err.Error(), "not the expected JSON") {
		t.Errorf("an HTML answer: %v", err)
	}
	// A plain-text error body is the message.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "bad gateway", http.StatusBadGateway) }))
	t.Cleanup(plain.Close)
	c, _ = sandboxclient.New(plain.URL)
	if e := asError(t, c.ClearFaults(t.Context()), http.StatusBadGateway); e.Message != "bad gateway" || e.Method != http.MethodDelete {
		t.Errorf("a plain-text error: %+v", e)
	}
}

func TestNamespaces(t *testing.T) {
	base, admin := start(t, sandbox.Config{AdminToken: "s3cret"}, sandboxclient.WithToken("s3cret"))
	ctx := t.Context()
	const token = "team-a-token-0123456789"
	in, err := admin.CreateNamespace(ctx, sandbox.NamespaceSpec{Name: "team-a", Token: token})
	if err != nil || in.Name != "team-a" || !in.TokenSet {
		t.Fatalf("CreateNamespace: %+v, %v", in, err)
	}
	_, err = admin.CreateNamespace(ctx, sandbox.NamespaceSpec{Name: "team-a"})
	asError(t, err, http.StatusConflict)
	_, err = admin.CreateNamespace(ctx, sandbox.NamespaceSpec{Name: "team-b", Token: "short"})
	if e := asError(t, err, http.StatusBadRequest); !strings.Contains(e.Message, "token") {
		t.Errorf("a short token: %v", e)
	}
	list, err := admin.Namespaces(ctx)
	if err != nil || len(list) != 2 || list[0].Name != sandbox.DefaultNamespace || list[1].Name != "team-a" {
		t.Fatalf("Namespaces: %+v, %v", list, err)
	}
	if got, err := admin.GetNamespace(ctx, "team-a"); err != nil || got.Name != "team-a" || !got.TokenSet || got.Created.IsZero() {
		t.Errorf("GetNamespace: %+v, %v", got, err)
	}

	// The namespace's own token opens it, and nothing else.
	teamA, err := sandboxclient.New(base, sandboxclient.WithToken(token), sandboxclient.WithNamespace("team-a"))
	if err != nil {
		t.Fatal(err)
	}
	get(t, base+"/ns/team-a/track/activate/?callback=cb&imei=0c2bd03c39f19845bf54ea0abafae70e&event_type=0")
	if j, err := teamA.OceanRequests(ctx, sandboxclient.OceanFilter{}); err != nil || j.Count != 1 || j.Requests[0].Path != "/track/activate/" {
		t.Errorf("team-a's journal with its token: %+v, %v", j, err)
	}
	if j, err := admin.OceanRequests(ctx, sandboxclient.OceanFilter{}); err != nil || j.Count != 0 {
		t.Errorf("the default namespace's journal: %+v, %v", j, err)
	}
	if j, err := admin.Namespace("team-a").OceanRequests(ctx, sandboxclient.OceanFilter{}); err != nil || j.Count != 1 {
		t.Errorf("team-a's journal with the admin token: %+v, %v", j, err)
	}
	_, err = teamA.Namespace(sandbox.DefaultNamespace).Conversions(ctx)
	asError(t, err, http.StatusForbidden)
	_, err = teamA.Namespaces(ctx)
	asError(t, err, http.StatusForbidden)

	// A bad name in Namespace sends nothing.
	if _, err := admin.Namespace("Team A").Conversions(ctx); err == nil || IsAnyStatus(err) {
		t.Errorf("a bad namespace: %v", err)
	}

	if err := admin.DeleteNamespace(ctx, "team-a"); err != nil {
		t.Fatal(err)
	}
	_, err = admin.GetNamespace(ctx, "team-a")
	asError(t, err, http.StatusNotFound)
	asError(t, admin.DeleteNamespace(ctx, "team-a"), http.StatusNotFound)
	asError(t, admin.DeleteNamespace(ctx, sandbox.DefaultNamespace), http.StatusBadRequest)
	_, err = admin.Namespace("team-a").Faults(ctx) // no longer there, and not created by traffic
	asError(t, err, http.StatusNotFound)
}

// IsAnyStatus reports whether err is an answer of the sandbox.
func IsAnyStatus(err error) bool {
	var e *sandboxclient.Error
	return errors.As(err, &e)
}
