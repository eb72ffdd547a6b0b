package sandboxtest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

// TestServerServesEveryPart: health, the Ocean emulator, the impact admin
// API and the admin token, through one listener.
func TestServerServesEveryPart(t *testing.T) {
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.AdminToken = "s3cret" })
	get := func(path string, auth bool) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if auth {
			req.Header.Set("Authorization", "Bearer s3cret")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		path   string
		auth   bool
		status int
		body   string
	}{
		{"/healthz", false, 200, `"ok"`},
		{"/track/activate/?event_type=0", false, 200, `"code":40001`},
		{"/_admin/impact/postbacks", false, 401, "Bearer"},
		{"/_admin/impact/postbacks", true, 200, "postbacks"},
		{"/metrics", false, 200, "postbacksim_"},
	} {
		if status, body := get(c.path, c.auth); status != c.status || !strings.Contains(body, c.body) {
			t.Errorf("GET %s (token %v): %d %.200s; want %d with %q", c.path, c.auth, status, body, c.status, c.body)
		}
	}
}
