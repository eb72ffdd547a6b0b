package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHTMLAnswersCarrySecurityHeaders: the HTML report and the profiles'
// index, like the inspector's pages, forbid framing and sniffing and
// allow no script.
func TestHTMLAnswersCarrySecurityHeaders(t *testing.T) {
	sb := New(Config{Pprof: true})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	for _, path := range []string{"/_admin/ocean/report?format=html", "/debug/pprof/", "/ocean"} {
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if resp.StatusCode != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src 'unsafe") {
			t.Errorf("%s: %d, headers %v", path, resp.StatusCode, h)
		}
	}
}
