package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestTokenFromHeaderOrCookie: the admin token opens /_admin/ from the
// Authorization header, or from the cookie of the pages, where a change
// also needs the CSRF token derived from it.
func TestTokenFromHeaderOrCookie(t *testing.T) {
	sb := New(Config{AdminToken: "s3cret"})
	defer sb.Close()
	if _, err := sb.Namespace(context.Background(), "team-a"); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(sb)
	defer hs.Close()
	do := func(method, path string, header map[string]string, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cookie := TokenCookie + "=s3cret"
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name, method, path string
		header             map[string]string
		body               string
		want               int
	}{
		{"no token", "GET", "/_admin/ocean/requests", nil, "", 401},
		{"wrong bearer", "GET", "/_admin/ocean/requests", map[string]string{"Authorization": "Bearer nope"}, "", 403},
		{"bearer", "GET", "/_admin/ocean/requests", map[string]string{"Authorization": "Bearer s3cret"}, "", 200},
		{"cookie reads", "GET", "/ns/team-a/_admin/ocean/requests", map[string]string{"Cookie": cookie}, "", 200},
		{"wrong cookie", "GET", "/_admin/ocean/requests", map[string]string{"Cookie": TokenCookie + "=nope"}, "", 403},
		{"cookie change without CSRF", "DELETE", "/_admin/ocean/faults", map[string]string{"Cookie": cookie}, "", 403},
		{"cookie change, wrong CSRF", "DELETE", "/_admin/ocean/faults", map[string]string{"Cookie": cookie, CSRFHeader: CSRFToken("nope")}, "", 403},
		{"cookie change, CSRF header", "DELETE", "/_admin/ocean/faults", map[string]string{"Cookie": cookie, CSRFHeader: CSRFToken("s3cret")}, "", 204},
		{"forged form post", "POST", "/_admin/ocean/faults", map[string]string{"Cookie": cookie, "Content-Type": form}, url.Values{"status": {"503"}}.Encode(), 403},
		{"bearer change needs no CSRF", "DELETE", "/_admin/ocean/faults", map[string]string{"Authorization": "Bearer s3cret"}, "", 204},
		{"not an admin path", "GET", "/track/activate/?callback=c&idfa=i&event_type=2", nil, "", 200},
	} {
		if got := do(c.method, c.path, c.header, c.body); got != c.want {
			t.Errorf("%s: %s %s answered %d, want %d", c.name, c.method, c.path, got, c.want)
		}
	}
	if CSRFToken("a") == CSRFToken("b") || len(CSRFToken("a")) != 32 {
		t.Errorf("CSRF tokens: %q %q", CSRFToken("a"), CSRFToken("b"))
	}
}
