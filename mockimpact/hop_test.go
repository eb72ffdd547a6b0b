package mockimpact_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// TestAttemptsCarryTheHopChain: every attempt names the markers of the
// request that fired the event, then the dispatcher's own; an update
// delivery and a replay keep the markers of the delivery they follow.
// An answer refusing the attempt as a loop (508 with LoopHeader) ends
// the delivery blocked_target, reason self, with no retry; a plain 508
// is an http_error, retried.
func TestAttemptsCarryTheHopChain(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	loop := false
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Get(mockimpact.HopHeader))
		if loop {
			w.Header().Set(mockimpact.LoopHeader, "refused")
		}
		w.WriteHeader(http.StatusLoopDetected)
	}))
	defer rcv.Close()
	d := mockimpact.NewDispatcher(mockimpact.Options{Hop: "me"})
	defer d.Close()
	if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: "job_completed", URL: rcv.URL}); err != nil {
		t.Fatal(err)
	}
	fire := func(ctx context.Context) mockimpact.Delivery {
		t.Helper()
		id, err := d.Fire(ctx, fixtures.NewImpactGen(1, time.Time{}).JobCompleted())
		if err != nil {
			t.Fatal(err)
		}
		wait, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for wait.Err() == nil {
			if dl, ok, _ := d.Delivery(context.Background(), id); ok && len(dl.Attempts) > 0 {
				return dl
			}
			time.Sleep(5 * time.Millisecond) // real time: the live dispatcher sends on the wall clock
		}
		t.Fatalf("delivery %s made no attempt", id)
		return mockimpact.Delivery{}
	}

	plain := fire(context.Background())
	if a := plain.Attempts[0]; a.Outcome != mockimpact.OutcomeHTTPError || !a.Retry {
		t.Errorf("a 508 without %s: %s (retry %v), want http_error, retried", mockimpact.LoopHeader, a.Outcome, a.Retry)
	}
	mu.Lock()
	loop = true
	mu.Unlock()
	looped := fire(mockimpact.WithHops(context.Background(), []string{"a", "b"}))
	a := looped.Attempts[0]
	if a.Outcome != mockimpact.OutcomeBlockedTarget || a.Retry || !strings.Contains(a.Error, "blocked target: self:") {
		t.Errorf("a loop refusal: %s (retry %v) %q, want blocked_target, final, reason self", a.Outcome, a.Retry, a.Error)
	}
	if strings.Join(looped.Hops, ",") != "a,b" {
		t.Errorf("delivery hops %v, want the firing request's [a b]", looped.Hops)
	}
	if _, err := d.Replay(context.Background(), looped.ID); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.WaitForAttempts(wait, 3); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"me", "a, b, me", "a, b, me"}; strings.Join(seen[:3], "|") != strings.Join(want, "|") {
		t.Errorf("%s sent: %q, want %q", mockimpact.HopHeader, seen, want)
	}
}

// TestLoopReason: a chain with the sandbox's own marker, or MaxHops
// markers, is refused; others are not.
func TestLoopReason(t *testing.T) {
	long := strings.Repeat("x, ", mockimpact.MaxHops-1) + "y"
	for _, c := range []struct {
		v    string
		want bool
	}{
		{"", false}, {"other", false}, {"other, me", true}, {" me ", true}, {"mem, ame", false},
		{long, true}, {strings.Repeat("x, ", mockimpact.MaxHops-2) + "y", false},
	} {
		if got := mockimpact.LoopReason(c.v, "me") != ""; got != c.want {
			t.Errorf("LoopReason(%q): refused %v, want %v", c.v, got, c.want)
		}
	}
}
