package mockimpact_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/impacttest"
)

// TestRetryNow: the second attempt, due 15 s after the first, runs as
// soon as RetryNow is called; the schedule goes on from there.
func TestRetryNow(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithScript(steps(t, "500,500,200")...))
	id := td.FireGenerated("action_lifecycle", 1)
	td.Advance(0)
	td.Advance(time.Second)
	if err := td.RetryNow(id); err != nil {
		t.Fatal(err)
	}
	td.Advance(0)
	dl, _ := td.Delivery(id)
	if len(dl.Attempts) != 2 {
		t.Fatalf("attempts after RetryNow: %d, want 2", len(dl.Attempts))
	}
	if got := dl.Attempts[1].Offset; got != time.Second {
		t.Fatalf("second attempt at offset %s, want 1s", got)
	}
	td.RunUntilIdle()
	if err := td.RetryNow(id); !errors.Is(err, mockimpact.ErrNotWaiting) {
		t.Fatalf("RetryNow of an ended delivery: %v", err)
	}
	if err := td.RetryNow("d999999"); !errors.Is(err, mockimpact.ErrNoDelivery) {
		t.Fatalf("RetryNow of an unknown delivery: %v", err)
	}
}

// TestReplay: a replay is a new delivery of the same rendered request.
func TestReplay(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithScript(steps(t, "200")...))
	id := td.FireGenerated("action_lifecycle", 1)
	td.RunUntilIdle()
	nid, err := td.Replay(id)
	if err != nil {
		t.Fatal(err)
	}
	td.RunUntilIdle()
	a, _ := td.Delivery(id)
	b, _ := td.Delivery(nid)
	if nid == id || b.Request.URL != a.Request.URL || b.Outcome != mockimpact.DeliveryDelivered || len(b.Attempts) != 1 {
		t.Fatalf("replay %s of %s: %+v", nid, id, b)
	}
	if _, err := td.Replay("nope"); !errors.Is(err, mockimpact.ErrNoDelivery) {
		t.Fatalf("Replay of an unknown delivery: %v", err)
	}
}

// TestAdminRetryAndReplay: the admin endpoints answer 202, 404 and 409.
func TestAdminRetryAndReplay(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithScript(steps(t, "500,200")...))
	id := td.FireGenerated("action_lifecycle", 1)
	td.Advance(0)
	a := td.Admin()
	post := func(path string) int {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, httptest.NewRequest(http.MethodPost, mockimpact.AdminPrefix+path, strings.NewReader("")))
		return w.Code
	}
	if c := post("/deliveries/" + id + "/retry"); c != http.StatusAccepted {
		t.Fatalf("retry: %d", c)
	}
	td.Advance(0)
	if c := post("/deliveries/" + id + "/retry"); c != http.StatusConflict {
		t.Fatalf("retry of a delivered delivery: %d, want 409", c)
	}
	if c := post("/deliveries/nope/retry"); c != http.StatusNotFound {
		t.Fatalf("retry of nothing: %d, want 404", c)
	}
	if c := post("/deliveries/" + id + "/replay"); c != http.StatusAccepted {
		t.Fatalf("replay: %d", c)
	}
	if c := post("/deliveries/nope/replay"); c != http.StatusNotFound {
		t.Fatalf("replay of nothing: %d, want 404", c)
	}
}
