package oceantest_test

import (
	"net/http"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
)

// TestOptionsAllApply: every option takes effect, in order, whatever
// comes before or after it: strict mode and a journal bound together.
func TestOptionsAllApply(t *testing.T) {
	for name, opts := range map[string][]oceantest.Option{
		"strict first": {oceantest.WithStrict(), func(c *mockocean.Config) { c.JournalCapacity = 1 }},
		"strict last":  {func(c *mockocean.Config) { c.JournalCapacity = 1 }, oceantest.WithStrict()},
	} {
		t.Run(name, func(t *testing.T) {
			srv := oceantest.NewServer(t, opts...)
			// No event_type: accepted as an activation with a warning in
			// default mode, refused (40005) in strict mode.
			for range 2 {
				resp, err := http.Get(srv.ActivateURL + "?callback=c&idfa=i")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Seq != 2 {
				t.Fatalf("journal of %d (last seq %v); want the newest only (JournalCapacity 1)", len(reqs), reqs)
			}
			if !reqs[0].Answered || reqs[0].Code == mockocean.CodeSuccess {
				t.Errorf("code %d; want a refusal (strict mode)", reqs[0].Code)
			}
		})
	}
}
