package sandbox_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

// TestV2AppSecretPerNamespace: the sandbox's app secret checks the
// default namespace's v2 signatures, a namespace's own secret its
// requests', and the listing says a namespace has one without showing
// it.
func TestV2AppSecretPerNamespace(t *testing.T) {
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.Ocean.AppSecret = "sandbox-secret" })
	resp, err := http.Post(srv.URL+sandbox.NamespacesPath, "application/json", strings.NewReader(`{"name":"team-a","app_secret":"team-a-secret"}`))
	if err != nil {
		t.Fatal(err)
	}
	created, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(created), `"app_secret_set": true`) || strings.Contains(string(created), "team-a-secret") {
		t.Fatalf("create: %d %s", resp.StatusCode, created)
	}
	body := `{"event_type":"form","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`
	sig := func(secret string) string {
		h := sha256.Sum256([]byte(body + secret))
		return hex.EncodeToString(h[:])
	}
	for _, c := range []struct {
		base, signature string
		code            int
	}{
		{"", sig("sandbox-secret"), 0},
		{"", sig("team-a-secret"), mockocean.V2CodeSignature},
		{"", "", mockocean.V2CodeSignature},
		{"/ns/team-a", sig("team-a-secret"), 0},
		{"/ns/team-a", sig("sandbox-secret"), mockocean.V2CodeSignature},
		{"/ns/team-b", sig("sandbox-secret"), 0}, // created by the request: the sandbox's secret
	} {
		header := http.Header{}
		if c.signature != "" {
			header.Set("x-signature", c.signature)
		}
		a, err := oceantest.PostV2(srv.URL+c.base+mockocean.V2Path, body, header)
		if err != nil || a.Code != c.code {
			t.Errorf("%s, signature %.8s: code %d, %s (%v); want %d", c.base+mockocean.V2Path, c.signature, a.Code, a.Message, err, c.code)
		}
	}
}
