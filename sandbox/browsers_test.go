package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestGuardBrowsers: a page of another site cannot change the sandbox
// through a visitor's browser, token or not, and a rebound DNS name
// cannot read a loopback sandbox; programs and uploaders are not
// affected.
func TestGuardBrowsers(t *testing.T) {
	sb := New(Config{LoopbackOnly: true})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	host := strings.TrimPrefix(hs.URL, "http://")
	for _, c := range []struct {
		name, method, path, body string
		header                   map[string]string
		want                     int
	}{
		{"a program's change", "POST", "/_admin/ocean/faults", `{"status":503,"times":1}`, nil, 201},
		{"the sandbox's own page", "DELETE", "/_admin/ocean/faults", "", map[string]string{"Origin": hs.URL}, 204},
		{"another site's page", "POST", "/_admin/ocean/faults", `{"status":503}`, map[string]string{"Origin": "https://evil.example"}, 403},
		{"another site, by fetch metadata", "POST", "/_admin/impact/events/action_cleared", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"an opaque origin", "DELETE", "/_admin/ocean/requests", "", map[string]string{"Origin": "null"}, 403},
		{"another site, in a namespace", "POST", "/ns/team-a/_admin/ocean/faults", `{"status":503}`, map[string]string{"Origin": "https://evil.example"}, 403},
		{"reads from another site are the browser's to refuse", "GET", "/_admin/ocean/faults", "", map[string]string{"Origin": "https://evil.example"}, 200},
		{"a rebound name reading the journal", "GET", "/_admin/ocean/requests", "", map[string]string{"Host": "attacker.example"}, 403},
		{"a rebound name on a page", "GET", "/ocean", "", map[string]string{"Host": "attacker.example:" + strings.Split(host, ":")[1]}, 403},
		{"localhost", "GET", "/_admin/ocean/requests", "", map[string]string{"Host": "localhost"}, 200},
		{"a landing page's conversion", "POST", "/track/activate/", "callback=c&idfa=i&event_type=2",
			map[string]string{"Origin": "https://landing.example", "Content-Type": "application/x-www-form-urlencoded", "Host": "attacker.example"}, 200},
		{"a probe under any name", "GET", "/healthz", "", map[string]string{"Host": "sandbox.internal"}, 200},
		{"a rebound name reading the metrics", "GET", "/metrics", "", map[string]string{"Host": "attacker.example"}, 403},
		{"a scraper of the loopback sandbox", "GET", "/metrics", "", map[string]string{"Host": "127.0.0.1"}, 200},
	} {
		req, _ := http.NewRequest(c.method, hs.URL+c.path, strings.NewReader(c.body))
		for k, v := range c.header {
			if k == "Host" {
				req.Host = v
				continue
			}
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %s %s answered %d, want %d", c.name, c.method, c.path, resp.StatusCode, c.want)
		}
	}
	for host, want := range map[string]bool{"127.0.0.1:8080": true, "[::1]:8080": true, "localhost": true, "a.localhost:1": true, "LOCALHOST.": true, "127.0.0.1.nip.io": false, "example.com": false, "10.0.0.1:80": false} {
		if got := loopbackHost(host); got != want {
			t.Errorf("loopbackHost(%q) = %v", host, got)
		}
	}
}
