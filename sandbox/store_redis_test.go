package sandbox

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

// redisReplica starts a sandbox on rs, as serve --store does: a store of
// its own (its own connections), the given prefix.
func redisReplica(t *testing.T, rs *redistest.Server, prefix string) (*Sandbox, string) {
	t.Helper()
	store, err := mockocean.NewRedisStore(mockocean.RedisOptions{URL: rs.URL(), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	sb := New(Config{Ocean: mockocean.Config{Store: store}})
	hs := httptest.NewServer(sb)
	t.Cleanup(func() { hs.Close(); sb.Close() })
	return sb, hs.URL
}

func send(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A postback configuration saved through one replica is used by the
// other, per namespace, and deleted through either.
func TestRedisPostbacksSharedByReplicas(t *testing.T) {
	rs := redistest.Start(t)
	var hits atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("OK"))
	}))
	defer receiver.Close()
	a, urlA := redisReplica(t, rs, "t:")
	b, urlB := redisReplica(t, rs, "t:")
	for _, sb := range []*Sandbox{a, b} {
		if _, err := sb.Namespace("team1"); err != nil {
			t.Fatal(err)
		}
	}

	put := `{"url":"` + receiver.URL + `/pb?id={ActionId}","method":"GET","format":"none","success":"OK"}`
	if code, body := send(t, "PUT", urlA+"/_admin/impact/postbacks/action_lifecycle", put); code != 200 {
		t.Fatalf("PUT on A: %d %s", code, body)
	}
	if got, err := rs.Do("HEXISTS", "t:{default}:impact:postbacks", "action_lifecycle"); err != nil || got != ":1" {
		t.Fatalf("HEXISTS t:{default}:impact:postbacks action_lifecycle = %q, %v; want :1", got, err)
	}
	if got, err := rs.Do("PTTL", "t:{default}:impact:postbacks"); err != nil || got == ":-1" || got == ":-2" {
		t.Fatalf("PTTL of the postbacks = %q, %v; want the store's idle TTL", got, err)
	}
	code, body := send(t, "GET", urlB+"/_admin/impact/postbacks", "")
	if code != 200 || !strings.Contains(body, receiver.URL+"/pb?id={ActionId}") {
		t.Fatalf("GET on B: %d %s", code, body)
	}
	if code, body := send(t, "POST", urlB+"/_admin/impact/events/action_lifecycle?seed=3", ""); code != 202 {
		t.Fatalf("fire on B: %d %s", code, body)
	}
	if err := b.Impact.WaitIdle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := b.Impact.Deliveries(); len(d) != 1 || d[0].Outcome != mockimpact.DeliveryDelivered {
		t.Fatalf("B's deliveries: %+v", d)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}

	// Namespaces keep their own configurations.
	if code, body := send(t, "POST", urlB+"/ns/team1/_admin/impact/events/action_lifecycle", ""); code != 409 {
		t.Fatalf("fire in team1, configured in default only: %d %s; want 409", code, body)
	}

	// A changed configuration is used at once by the other replica.
	changed := strings.Replace(put, `"success":"OK"`, `"success":"NEVER"`, 1)
	if code, body := send(t, "PUT", urlB+"/_admin/impact/postbacks/action_lifecycle", changed); code != 200 {
		t.Fatalf("PUT on B: %d %s", code, body)
	}
	if p := a.Impact.Postbacks(); len(p) != 1 || p[0].Success.Text != "NEVER" {
		t.Fatalf("A's postbacks after B's PUT: %+v", p)
	}

	if code, body := send(t, "DELETE", urlB+"/_admin/impact/postbacks/action_lifecycle", ""); code != 204 {
		t.Fatalf("DELETE on B: %d %s", code, body)
	}
	if code, body := send(t, "DELETE", urlA+"/_admin/impact/postbacks/action_lifecycle", ""); code != 404 {
		t.Fatalf("DELETE again on A: %d %s; want 404", code, body)
	}
	if _, err := a.Impact.Fire(mustEvent(t, "action_lifecycle")); !errors.Is(err, mockimpact.ErrNoPostback) {
		t.Fatalf("Fire on A after the DELETE on B: %v; want ErrNoPostback", err)
	}

	// Without Redis, the endpoints answer 503.
	rs.Stop()
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/_admin/impact/postbacks/action_lifecycle", put},
		{"GET", "/_admin/impact/postbacks", ""},
		{"DELETE", "/_admin/impact/postbacks/action_lifecycle", ""},
		{"POST", "/_admin/impact/events/action_lifecycle", ""},
	} {
		if code, body := send(t, c.method, urlA+c.path, c.body); code != 503 || !strings.Contains(body, "state store unavailable") {
			t.Errorf("%s %s without Redis: %d %s; want 503", c.method, c.path, code, body)
		}
	}
}

func mustEvent(t *testing.T, name string) fixtures.Event {
	t.Helper()
	ev, err := fixtures.Generate(name, fixtures.GenOptions{Seed: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}
