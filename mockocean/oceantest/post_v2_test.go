package oceantest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
)

// TestPostV2: PostV2 sends the body and headers and reads the answer;
// an answer that is not a v2 answer is an error naming the status.
func TestPostV2(t *testing.T) {
	srv := oceantest.NewServer(t, oceantest.WithAppSecret("s"))
	body := `{"event_type":"form","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000}`
	a, err := oceantest.PostV2(srv.V2URL, body, http.Header{"X-Signature": {"00"}})
	if err != nil || a.Code != mockocean.V2CodeSignature || a.RequestID == "" {
		t.Fatalf("a wrong signature: %+v %v", a, err)
	}
	if r := srv.Requests()[0]; r.Signature != "00" {
		t.Errorf("journaled signature %q", r.Signature)
	}
	if _, err := oceantest.PostV2(srv.URL+"/api/v2/nope", body, nil); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("an unknown path: %v", err)
	}
}
