package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/internal/testtb"
)

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestNamespacesAreIsolated(t *testing.T) {
	sb := New(Config{MaxNamespaces: 2})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	c := client{t: t, base: hs.URL}

	conv := "?callback=c&idfa=i&event_type=0&outer_event_id=same"
	for _, prefix := range []string{"", "/ns/team-a", "/ns/team-b"} {
		if _, b := c.do("GET", prefix+"/track/activate/"+conv, ""); !strings.Contains(b, `"code":0`) {
			t.Fatalf("%s: first use of the id: %s", prefix, b) // dedup state is per namespace
		}
	}
	if _, b := c.do("GET", "/ns/team-a/track/activate/"+conv, ""); !strings.Contains(b, `"code":40004`) {
		t.Fatalf("team-a repeat: %s", b)
	}
	c.do("POST", "/ns/team-a/_admin/ocean/faults", `{"status":503}`)
	if s, _ := c.do("GET", "/ns/team-a/track/activate/?callback=c&idfa=i&event_type=0", ""); s != 503 {
		t.Fatalf("team-a fault not applied: %d", s)
	}
	if s, _ := c.do("GET", "/ns/team-b/track/activate/?callback=c&idfa=i&event_type=0", ""); s != 200 {
		t.Fatalf("team-a's fault leaked into team-b: %d", s)
	}
	_, a := c.do("GET", "/ns/team-a/_admin/ocean/requests", "")
	_, def := c.do("GET", "/_admin/ocean/requests", "")
	if !strings.Contains(a, `"count": 3`) || !strings.Contains(def, `"count": 1`) {
		t.Fatalf("journals: team-a %s\ndefault %s", a, def)
	}
	c.do("PUT", "/ns/team-b/_admin/impact/postbacks/job_completed", `{"url":"https://b.example/j"}`)
	if _, b := c.do("GET", "/_admin/impact/postbacks", ""); strings.Contains(b, "job_completed") {
		t.Fatal("team-b's postback is visible in the default namespace")
	}
	if _, b := c.do("GET", "/ns/team-b/_admin/impact/postbacks", ""); !strings.Contains(b, "job_completed") {
		t.Fatal("team-b's postback is missing")
	}
	for path, want := range map[string]string{
		"/ns/Bad Name/track/activate/": "namespace",
		"/ns/team-c/track/activate/":   "already holds 2 namespaces",
	} {
		if s, b := c.do("GET", path, ""); s != 400 || !strings.Contains(b, want) {
			t.Errorf("%s: %d %s", path, s, b)
		}
	}
	if s, b := c.do("GET", "/ns/team-a/nope", ""); s != 404 || !strings.Contains(b, `"no such path: /nope"`) {
		t.Fatalf("unknown path in a namespace: %d %s", s, b)
	}
}

func TestAdminToken(t *testing.T) {
	sb := New(Config{AdminToken: "s3cret"})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	anon, admin := client{t: t, base: hs.URL}, client{t: t, base: hs.URL, token: "s3cret"}
	wrong := client{t: t, base: hs.URL, token: "guess"}
	for _, path := range []string{"/_admin/ocean/requests", "/ns/x/_admin/impact/deliveries", "/_admin/nope"} {
		if s, b := anon.do("GET", path, ""); s != 401 || !strings.Contains(b, "Authorization: Bearer") {
			t.Errorf("%s without a token: %d %s", path, s, b)
		}
		if s, b := wrong.do("GET", path, ""); s != 403 || !strings.Contains(b, "wrong token") {
			t.Errorf("%s with a wrong token: %d %s", path, s, b)
		}
	}
	if s, _ := admin.do("GET", "/_admin/ocean/requests", ""); s != 200 {
		t.Fatalf("with the token: %d", s)
	}
	for _, path := range []string{"/track/activate/?callback=c&idfa=i&event_type=0", "/healthz", "/metrics"} {
		if s, _ := anon.do("GET", path, ""); s != 200 {
			t.Errorf("%s needs no token, got %d", path, s)
		}
	}
	// With an admin token, traffic does not create namespaces.
	if s, b := anon.do("GET", "/ns/x/track/activate/?callback=c&idfa=i&event_type=0", ""); s != 404 || !strings.Contains(b, "POST /_admin/namespaces") {
		t.Errorf("unknown namespace: %d %s", s, b)
	}
}

func TestMetrics(t *testing.T) {
	sb := New(Config{Ocean: mockoceanConfig(2)})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	c := client{t: t, base: hs.URL}
	for range 3 {
		c.do("GET", "/track/activate/?callback=c&idfa=i&event_type=0", "")
	}
	c.do("GET", "/ns/a/track/activate/?callback=c", "")
	c.do("POST", "/ns/a/api/v2/conversion", `{"event_type":"form","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`)
	c.do("POST", "/_admin/ocean/faults", `{"status":503,"times":1}`)
	c.do("GET", "/track/activate/?callback=c&idfa=i&event_type=0", "")
	_, m := c.do("GET", "/metrics", "")
	for _, want := range []string{
		`postbacksim_ocean_requests_total{api="track",code="0",namespace="default"} 3`,
		`postbacksim_ocean_requests_total{api="track",code="40002",namespace="a"} 1`,
		`postbacksim_ocean_requests_total{api="v2",code="0",namespace="a"} 1`,
		`postbacksim_ocean_requests_total{api="track",code="http_503",namespace="default"} 1`,
		`postbacksim_ocean_journal_stored{namespace="default"} 2`,
		`postbacksim_ocean_journal_evicted_total{namespace="default"} 2`,
		`postbacksim_namespaces 2`,
		`postbacksim_ocean_journal_bytes{namespace="default"} `,
		`postbacksim_impact_deliveries_evicted_total{namespace="default"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	def, err := sb.Namespace(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if js := testtb.Must(def.Ocean.JournalStats(context.Background())); js.Bytes <= 0 || !strings.Contains(m, fmt.Sprintf(`postbacksim_ocean_journal_bytes{namespace="default"} %d`, js.Bytes)) {
		t.Errorf("journal bytes %d not in /metrics", js.Bytes)
	}
}

// TestValidNamespaceIsTheDocumentedPattern: the check on every request to
// a namespace agrees with the pattern the docs and errors state, on
// every byte at every position that matters and at the length bounds.
func TestValidNamespaceIsTheDocumentedPattern(t *testing.T) {
	names := []string{"", "a", "-a", "_a", "a-", "a_", "A", "team-a", "0", "9z", strings.Repeat("a", 63), strings.Repeat("a", 64), "a b", "é", "a/b"}
	for c := 0; c < 256; c++ {
		names = append(names, string(rune(c)), "a"+string([]byte{byte(c)}), string([]byte{byte(c)})+"a")
	}
	for _, name := range names {
		if got, want := validNamespace(name), namespaceRE.MatchString(name); got != want {
			t.Errorf("validNamespace(%q) = %v, the pattern says %v", name, got, want)
		}
	}
}

// TestNamespaceWithoutItsSlashIsItsRoot: /ns/NAME is served as
// /ns/NAME/, the namespace's own root.
func TestNamespaceWithoutItsSlashIsItsRoot(t *testing.T) {
	sb := New(Config{})
	defer sb.Close()
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		sb.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w.Code, w.Body.String()
	}
	get("/ns/team-a/track/activate/?callback=c&idfa=i&event_type=1") // creates it
	withSlash, bodyWith := get("/ns/team-a/")
	without, bodyWithout := get("/ns/team-a")
	if without != withSlash || bodyWithout != bodyWith {
		t.Errorf("/ns/team-a: %d %q; /ns/team-a/: %d %q", without, bodyWithout, withSlash, bodyWith)
	}
}
