package inspector_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

// TestLoginsToSeveralNamespaces: a browser logged into two namespaces,
// each with its own token, keeps both (each cookie has its namespace's
// path).
func TestLoginsToSeveralNamespaces(t *testing.T) {
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.AdminToken = "admin-token-0123456789" })
	tokens := map[string]string{"team-a": "team-a-token-0123456789", "team-b": "team-b-token-0123456789"}
	for ns, tok := range tokens {
		srv.CreateNamespace(ns, tok)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	for ns, tok := range tokens {
		resp, err := client.PostForm(srv.URL+"/ns/"+ns+"/login", url.Values{"token": {tok}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for ns := range tokens {
		resp, err := client.Get(srv.URL + "/ns/" + ns + "/ocean")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("/ns/%s/ocean after logging into both namespaces: %d", ns, resp.StatusCode)
		}
	}
}

// TestPagesShowOnlyTheirOwnMessages: a link carrying message text
// (?msg=, ?err=) or an unknown code (?flash=) shows none of it, on the
// login page of a namespace with a token and on an open page alike.
func TestPagesShowOnlyTheirOwnMessages(t *testing.T) {
	const spoof = "Your session expired: log in at evil.example"
	for _, tok := range []string{"", "admin-token-0123456789"} {
		srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.AdminToken = tok })
		for _, q := range []string{"?msg=", "?err=", "?flash="} {
			_, page := do(t, "GET", srv.URL+"/ocean"+q+url.QueryEscape(spoof), nil, nil)
			if strings.Contains(page, "evil.example") {
				t.Errorf("token %q, %s: the page shows the link's text", tok, q)
			}
		}
	}
}
