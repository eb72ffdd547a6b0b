package sandbox

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

const (
	adminTok = "admin-token-0123456789"
	tokA     = "team-a-token-0123456789"
	tokB     = "team-b-token-0123456789"
)

// TestManagedNamespaces: the life of a namespace through
// /_admin/namespaces: created with a token, listed without it, opened by
// its token and the admin token only, deleted with its state.
func TestManagedNamespaces(t *testing.T) {
	sb := New(Config{AdminToken: adminTok})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	admin := client{t: t, base: hs.URL, token: adminTok}
	a, b := client{t: t, base: hs.URL, token: tokA}, client{t: t, base: hs.URL, token: tokB}
	anon := client{t: t, base: hs.URL}

	for _, c := range []struct {
		body, want string
		status     int
	}{
		{`{"name":"team-a","token":"` + tokA + `"}`, `"token_set": true`, 201},
		{`{"name":"team-b","token":"` + tokB + `"}`, `"name": "team-b"`, 201},
		{`{"name":"team-a","token":"` + tokA + `"}`, "namespace exists", 409},
		{`{"name":"Team A"}`, `field name: namespace \"Team A\": want 1–63 of a-z, 0-9, - and _`, 400},
		{`{"name":"team-c","token":"short"}`, "field token: want 16–256 characters", 400},
		{`{"name":"team-c","token":"has space in it 0123"}`, "field token: want printable ASCII", 400},
		{`{"name":"team-c","tokn":"x"}`, `unknown field \"tokn\"`, 400},
		{`{"name":7}`, "field name", 400},
		{`nope`, "namespace:", 400},
	} {
		s, body := admin.do("POST", NamespacesPath, c.body)
		if s != c.status || !strings.Contains(body, c.want) {
			t.Errorf("POST %s: %d %s, want %d with %q", c.body, s, body, c.status, c.want)
		}
		if strings.Contains(body, tokA) || strings.Contains(body, tokB) {
			t.Errorf("POST %s echoed a token: %s", c.body, body)
		}
	}
	_, list := admin.do("GET", NamespacesPath, "")
	var got struct {
		Count      int
		Namespaces []NamespaceInfo
	}
	if err := json.Unmarshal([]byte(list), &got); err != nil || got.Count != 3 || got.Namespaces[1].Name != "team-a" || !got.Namespaces[1].TokenSet || got.Namespaces[0].TokenSet {
		t.Fatalf("listing: %v %s", err, list)
	}
	if strings.Contains(list, tokA) || strings.Contains(list, tokB) {
		t.Fatalf("the listing shows a token: %s", list)
	}
	for _, c := range []struct {
		who    client
		method string
		path   string
		want   int
	}{
		{a, "GET", "/ns/team-a/_admin/ocean/requests", 200},
		{a, "POST", "/ns/team-a/_admin/ocean/faults", 201},
		{admin, "GET", "/ns/team-a/_admin/ocean/requests", 200},
		{anon, "GET", "/ns/team-a/_admin/ocean/requests", 401},
		{b, "GET", "/ns/team-a/_admin/ocean/requests", 403},
		{b, "POST", "/ns/team-a/_admin/ocean/faults", 403},
		{a, "GET", "/ns/team-b/_admin/impact/deliveries", 403},
		{a, "GET", "/_admin/ocean/requests", 403},
		{a, "GET", NamespacesPath, 403},
		{a, "GET", NamespacesPath + "/team-a", 403},
		{a, "DELETE", NamespacesPath + "/team-b", 403},
		{anon, "GET", NamespacesPath, 401},
		{admin, "GET", NamespacesPath + "/team-a", 200},
		{admin, "GET", NamespacesPath + "/team-z", 404},
		{admin, "GET", NamespacesPath + "/Bad", 400},
		{admin, "PUT", NamespacesPath, 405},
		{admin, "DELETE", NamespacesPath + "/default", 400},
		{anon, "GET", "/ns/team-a/track/activate/?callback=c&idfa=i&event_type=0", 503}, // the fault team-a added
		{anon, "GET", "/ns/team-z/track/activate/?callback=c&idfa=i&event_type=0", 404},
	} {
		body := ""
		if c.method == "POST" {
			body = `{"status":503}`
		}
		if s, b := c.who.do(c.method, c.path, body); s != c.want {
			t.Errorf("%s %s (token %.6q): %d %s, want %d", c.method, c.path, c.who.token, s, b, c.want)
		}
	}
	if sb.lookup("team-z") != nil {
		t.Fatal("traffic created team-z")
	}

	// DELETE drops the state and closes the dispatcher.
	ta := sb.lookup("team-a")
	if _, err := ta.Impact.Configure(t.Context(), mockimpact.Postback{Event: "job_completed", URL: "http://192.0.2.1/never"}); err != nil {
		t.Fatal(err)
	}
	if s, _ := admin.do("DELETE", NamespacesPath+"/team-a", ""); s != 204 {
		t.Fatalf("DELETE: %d", s)
	}
	if sb.lookup("team-a") != nil {
		t.Fatal("team-a still there")
	}
	if _, err := ta.Impact.Fire(t.Context(), fixtures.NewImpactGen(1, time.Time{}).JobCompleted()); !errors.Is(err, mockimpact.ErrClosed) {
		t.Error("the deleted namespace's dispatcher still takes events")
	}
	if s, _ := admin.do("GET", "/ns/team-a/_admin/ocean/requests", ""); s != 404 {
		t.Errorf("deleted namespace answered %d", s)
	}
	if s, _ := a.do("GET", "/ns/team-a/_admin/ocean/requests", ""); s != 403 {
		t.Errorf("deleted namespace's token still accepted: %d", s)
	}
	if s, _ := admin.do("DELETE", NamespacesPath+"/team-a", ""); s != 404 {
		t.Errorf("second DELETE: %d", s)
	}
	// Re-created, it starts empty.
	admin.do("POST", NamespacesPath, `{"name":"team-a","token":"`+tokA+`"}`)
	if _, b := a.do("GET", "/ns/team-a/_admin/ocean/faults", ""); strings.Contains(b, "503") {
		t.Errorf("a re-created namespace kept its fault rules: %s", b)
	}
}

// TestOpenNamespaces: without an admin token traffic creates
// namespaces (local use); with one it does not, unless
// OpenNamespaces says so.
func TestOpenNamespaces(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		cfg     Config
		creates bool
	}{
		{Config{}, true},
		{Config{AdminToken: adminTok}, false},
		{Config{AdminToken: adminTok, OpenNamespaces: &yes}, true},
		{Config{OpenNamespaces: &no}, false},
	} {
		sb := New(c.cfg)
		hs := httptest.NewServer(sb)
		s, b := client{t: t, base: hs.URL}.do("GET", "/ns/fresh/track/activate/?callback=c&idfa=i&event_type=0", "")
		if created := sb.lookup("fresh") != nil; created != c.creates || (c.creates && s != 200) || (!c.creates && (s != 404 || !strings.Contains(b, NamespacesPath))) {
			t.Errorf("admin token %v, open %v: %d %s, created %v", c.cfg.AdminToken != "", c.cfg.OpenNamespaces, s, b, created)
		}
		hs.Close()
		sb.Close()
	}
}

// TestNamespaceTTL: a namespace idle for the TTL goes, on the sandbox's
// clock; one in use stays; the default one never goes.
func TestNamespaceTTL(t *testing.T) {
	vc := clock.NewVirtual(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	sb := New(Config{AdminToken: adminTok, NamespaceTTL: time.Hour, Clock: vc})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	admin := client{t: t, base: hs.URL, token: adminTok}
	admin.do("POST", NamespacesPath, `{"name":"idle","token":"`+tokA+`"}`)
	admin.do("POST", NamespacesPath, `{"name":"busy","token":"`+tokB+`"}`)
	_, info := admin.do("GET", NamespacesPath+"/idle", "")
	if !strings.Contains(info, `"expires": "2026-11-01T01:00:00Z"`) {
		t.Errorf("expiry not listed: %s", info)
	}
	for range 4 {
		vc.Advance(20 * time.Minute)
		client{t: t, base: hs.URL}.do("GET", "/ns/busy/track/activate/?callback=c&idfa=i&event_type=0", "")
	}
	_, list := admin.do("GET", NamespacesPath, "")
	if strings.Contains(list, `"idle"`) || !strings.Contains(list, `"busy"`) || !strings.Contains(list, `"default"`) {
		t.Errorf("after 80 idle minutes: %s", list)
	}
	vc.Advance(59 * time.Minute)
	if s, _ := admin.do("GET", "/ns/busy/_admin/ocean/requests", ""); s != 200 {
		t.Errorf("busy expired early: %d", s)
	}
	vc.Advance(2 * time.Hour)
	if s, _ := admin.do("GET", "/ns/busy/_admin/ocean/requests", ""); s != 404 {
		t.Errorf("busy after 2 idle hours: %d", s)
	}
}

// TestMetricsToken: /metrics behind its own token, the admin token
// accepted too.
func TestMetricsToken(t *testing.T) {
	sb := New(Config{AdminToken: adminTok, MetricsToken: "metrics-token-0123"})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	for tok, want := range map[string]int{"": 401, "nope": 403, tokA: 403, "metrics-token-0123": 200, adminTok: 200} {
		if s, b := (client{t: t, base: hs.URL, token: tok}).do("GET", "/metrics", ""); s != want {
			t.Errorf("/metrics with %q: %d %.80s, want %d", tok, s, b, want)
		}
	}
}
