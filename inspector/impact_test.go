package inspector_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

// TestImpactFormsAndStream: a postback saved and an event fired through
// the forms; each attempt is an "impact" event on the stream; "retry
// now" makes the next attempt at once on the dispatcher's clock, and
// "replay" starts a new delivery.
func TestImpactFormsAndStream(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	t.Cleanup(receiver.Close)
	vc := clock.NewVirtual(clock.Epoch)
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.Impact, c.SummaryEvery = mockimpact.Options{Clock: vc}, -1 })
	events, _ := stream(t, srv.URL+"/_admin/stream", nil)

	resp, body := do(t, "POST", srv.URL+"/_admin/inspector/postbacks", url.Values{"event": {"action_lifecycle"},
		"url": {receiver.URL + "/pb?aid={ActionId}"}, "method": {"GET"}, "format": {"none"}}, nil)
	if resp.StatusCode != 303 {
		t.Fatalf("save postback: %d %s", resp.StatusCode, body)
	}
	resp, _ = do(t, "POST", srv.URL+"/_admin/inspector/fire", url.Values{"event": {"action_lifecycle"}, "seed": {"3"}}, nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/deliveries/d000001?flash=") {
		t.Fatalf("fire: %d %q", resp.StatusCode, loc)
	}
	if _, page := do(t, "GET", srv.URL+loc, nil, nil); !strings.Contains(page, "fired action_lifecycle") {
		t.Fatalf("the page the fire form leads to lacks its message")
	}
	vc.Advance(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Namespace(sandbox.DefaultNamespace).Impact.WaitForAttempts(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// The hub gathers events for 50 ms of the sandbox clock: the real one here.
	if e := next(t, events); e.name != "impact" || e.id != "0.1" || !strings.Contains(e.data, `"delivery_id":"d000001"`) || !strings.Contains(e.data, `"status":503`) {
		t.Fatalf("impact event: %+v", e)
	}
	resp, _ = do(t, "POST", srv.URL+"/_admin/inspector/deliveries/d000001/retry", url.Values{}, nil)
	if resp.StatusCode != 303 {
		t.Fatalf("retry now: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := do(t, "GET", srv.URL+resp.Header.Get("Location"), nil, nil); !strings.Contains(page, "next attempt moved to now") {
		t.Fatalf("retry now: the page lacks the message")
	}
	vc.Advance(0)
	if err := srv.Namespace(sandbox.DefaultNamespace).Impact.WaitForAttempts(ctx, 2); err != nil {
		t.Fatal(err)
	}
	dl, _, _ := srv.Namespace(sandbox.DefaultNamespace).Impact.Delivery(t.Context(), "d000001")
	if got := dl.Attempts[1].Offset; got != 0 {
		t.Errorf("second attempt after retry now at offset %s, want 0 (the virtual clock did not move)", got)
	}
	if e := next(t, events); e.id != "0.2" {
		t.Fatalf("second impact event: %+v", e)
	}
	resp, _ = do(t, "POST", srv.URL+"/_admin/inspector/deliveries/d000001/replay", url.Values{}, nil)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/deliveries/d000002?") {
		t.Fatalf("replay: %d %q", resp.StatusCode, loc)
	}
	resp, body = do(t, "GET", srv.URL+"/deliveries/d000001", nil, nil)
	if resp.StatusCode != 200 || strings.Count(body, `class="mark o-http_error"`) != 2 || !strings.Contains(body, `class="mark next"`) {
		t.Errorf("delivery page: %d, want two http_error marks and the next one due", resp.StatusCode)
	}
	if strings.Contains(body, "Sent by") {
		t.Error("a sandbox without replicas shows a Sent by column")
	}
}

// TestMacroErrorPosition: a refused body template comes back with the
// error marked at its line and column, the form kept.
func TestMacroErrorPosition(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	resp, body := do(t, "POST", srv.URL+"/_admin/inspector/postbacks", url.Values{"event": {"action_lifecycle"},
		"url": {"http://127.0.0.1:9/pb"}, "method": {"POST"}, "format": {"json"}, "body": {"{\n  \"id\": \"{ActionId}\",\n  \"x\": \"{Nope}\"\n}"}}, nil)
	if resp.StatusCode != 400 {
		t.Fatalf("bad template: %d", resp.StatusCode)
	}
	if !strings.Contains(body, "line 3, column") || !strings.Contains(body, "<mark>{</mark>Nope}") {
		t.Errorf("error not placed:\n%s", body[strings.Index(body, "<main"):])
	}
}

// TestPagesSayTheClockIsScaled: with --time-scale the impact pages say
// their times are on the scaled clock; without, they say nothing.
func TestPagesSayTheClockIsScaled(t *testing.T) {
	for scale, want := range map[float64]bool{600: true, 0: false} {
		srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.TimeScale = scale })
		_, body := do(t, "GET", srv.URL+"/impact", nil, nil)
		if got := strings.Contains(body, "The impact clock runs 600 times as fast as the wall clock"); got != want {
			t.Errorf("--time-scale %v: the note is there: %v, want %v", scale, got, want)
		}
	}
}
