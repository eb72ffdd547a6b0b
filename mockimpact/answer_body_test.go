package mockimpact_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// TestEachAttemptJournalsItsOwnAnswer: attempts sent at once, each
// answered with a body naming its own delivery, journal that body and
// are classified by it, although answers are read into buffers that are
// used again once an attempt is journaled.
func TestEachAttemptJournalsItsOwnAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("aid")
		if strings.HasSuffix(id, "7") {
			w.Write([]byte("refused " + id)) // matched as an error below
			return
		}
		w.Write([]byte("accepted " + id + strings.Repeat(".", len(id)*50)))
	}))
	defer srv.Close()
	d := mockimpact.NewDispatcher(mockimpact.Options{MaxInFlight: 16})
	defer d.Close()
	pb := mockimpact.Postback{Event: "action_lifecycle", URL: srv.URL + "/pb?aid={ActionId}", Error: mockimpact.Matcher{Text: "refused"}}
	if _, err := d.Configure(context.Background(), pb); err != nil {
		t.Fatal(err)
	}
	gen := fixtures.NewImpactGen(7, time.Time{})
	const n = 400
	want := map[string]string{} // delivery → its action id
	for range n {
		ev := gen.ActionLifecycle()
		id, err := d.Fire(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		want[id] = ev.ActionId
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.WaitForAttempts(ctx, n); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, dl := range deliveries(t, d) {
		aid := want[dl.ID]
		a := dl.Attempts[0]
		if strings.HasSuffix(aid, "7") {
			refused++
			if a.ResponseBody != "refused "+aid || a.Outcome != mockimpact.OutcomeErrorResponse {
				t.Errorf("%s: journaled %q as %s, want %q as %s", dl.ID, a.ResponseBody, a.Outcome, "refused "+aid, mockimpact.OutcomeErrorResponse)
			}
			continue
		}
		if !strings.HasPrefix(a.ResponseBody, "accepted "+aid+".") || a.Outcome != mockimpact.OutcomeDelivered {
			t.Errorf("%s: journaled %.40q as %s, want the answer to %s, delivered", dl.ID, a.ResponseBody, a.Outcome, aid)
		}
	}
	if refused == 0 || refused == n {
		t.Fatalf("%d of %d answers refused: the test needs both kinds", refused, n)
	}
}
