package sandboxclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandboxclient"
)

// receiver is a brand's postback endpoint: it answers 503 to the first
// fail requests, then OK, and keeps the action ids it got.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	fail int
	aids []string
}

func newReceiver(t *testing.T, fail int) *receiver {
	rc := &receiver{fail: fail}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.aids = append(rc.aids, r.URL.Query().Get("aid"))
		if rc.fail > 0 {
			rc.fail--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("OK"))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.aids...)
}

func (rc *receiver) postback() mockimpact.Postback {
	return mockimpact.Postback{Event: "action_lifecycle", URL: rc.URL + "/pb?aid={ActionId}", Method: http.MethodGet, Format: "none"}
}

func TestImpactPostbacksAndFire(t *testing.T) {
	_, c := start(t, sandbox.Config{})
	ctx := t.Context()
	rc := newReceiver(t, 0)

	cat, err := c.ImpactEvents(ctx)
	if err != nil || len(cat.Events) != 6 || len(cat.Statuses) == 0 || len(cat.Outcomes) == 0 || len(cat.RetrySchedule) == 0 {
		t.Fatalf("ImpactEvents: %+v, %v", cat, err)
	}
	var status string // a status of action_lifecycle other than its default
	for _, s := range cat.Statuses {
		if s.Event == "action_lifecycle" && !s.Default {
			status = s.Status
			break
		}
	}

	p := rc.postback()
	p.MinDelay = 0
	stored, err := c.ConfigurePostback(ctx, p)
	if err != nil || stored.Event != p.Event || stored.URL != p.URL {
		t.Fatalf("ConfigurePostback: %+v, %v", stored, err)
	}
	if _, err := c.ConfigurePostback(ctx, mockimpact.Postback{URL: rc.URL}); err == nil {
		t.Error("a postback without an event: no error")
	}
	_, err = c.ConfigurePostback(ctx, mockimpact.Postback{Event: "action_lifecycle", URL: "file:///etc/passwd"})
	asError(t, err, http.StatusBadRequest)
	list, err := c.Postbacks(ctx)
	if err != nil || len(list) != 1 || list[0].URL != p.URL {
		t.Fatalf("Postbacks: %+v, %v", list, err)
	}

	one, err := c.Fire(ctx, "action_lifecycle", sandboxclient.FireOptions{Seed: new(int64(42)), Status: status, Payload: map[string]any{"ActionId": "ACT-client"}})
	if err != nil || len(one.DeliveryIDs) != 1 || one.Seed != 42 || one.Event != "action_lifecycle" {
		t.Fatalf("Fire: %+v, %v", one, err)
	}
	var payload map[string]any
	if err := json.Unmarshal(one.Payload, &payload); err != nil || payload["ActionId"] != "ACT-client" {
		t.Errorf("the fired payload: %s, %v", one.Payload, err)
	}
	d, err := c.WaitDelivery(ctx, one.DeliveryIDs[0])
	if err != nil || d.Outcome != mockimpact.DeliveryDelivered || len(d.Attempts) != 1 || d.Attempts[0].Status != 200 {
		t.Fatalf("WaitDelivery: %+v, %v", d, err)
	}
	if got := rc.got(); len(got) != 1 || got[0] != "ACT-client" {
		t.Errorf("the receiver got %v", got)
	}

	batch, err := c.Fire(ctx, "action_lifecycle", sandboxclient.FireOptions{Seed: new(int64(1)), Count: 3, Payload: json.RawMessage(`{}`)})
	if err != nil || len(batch.DeliveryIDs) != 3 || batch.Seed != 1 || batch.Payload != nil {
		t.Fatalf("Fire a batch: %+v, %v", batch, err)
	}
	for _, id := range batch.DeliveryIDs {
		if _, err := c.WaitDelivery(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.Deliveries(ctx, sandboxclient.DeliveryFilter{})
	if err != nil || all.Count != 4 || len(all.Deliveries) != 4 || all.Stats.Deliveries != 4 || all.Stats.Attempts != 4 {
		t.Fatalf("Deliveries: %+v, %v", all, err)
	}
	l, err := c.Deliveries(ctx, sandboxclient.DeliveryFilter{Event: "action_lifecycle", Outcome: mockimpact.DeliveryDelivered, Limit: 2})
	if err != nil || l.Count != 4 || len(l.Deliveries) != 2 || l.Deliveries[1].ID != batch.DeliveryIDs[2] {
		t.Errorf("Deliveries with a limit: count %d, %d deliveries, %v", l.Count, len(l.Deliveries), err)
	}
	for _, f := range []sandboxclient.DeliveryFilter{{Event: "job_completed"}, {Outcome: mockimpact.DeliveryPending}} {
		if l, err := c.Deliveries(ctx, f); err != nil || l.Count != 0 || len(l.Deliveries) != 0 {
			t.Errorf("Deliveries %+v: %+v, %v", f, l, err)
		}
	}
	_, err = c.Deliveries(ctx, sandboxclient.DeliveryFilter{Limit: -1})
	asError(t, err, http.StatusBadRequest)

	for _, tc := range []struct {
		event  string
		o      sandboxclient.FireOptions
		status int
	}{
		{"no_such_event", sandboxclient.FireOptions{}, http.StatusNotFound},
		{"action_lifecycle", sandboxclient.FireOptions{Status: "NOPE"}, http.StatusBadRequest},
		{"action_lifecycle", sandboxclient.FireOptions{Payload: map[string]any{"ActionID": 1}}, http.StatusBadRequest},
		{"action_lifecycle", sandboxclient.FireOptions{Count: mockimpact.MaxFireCount + 1}, http.StatusBadRequest},
		{"job_completed", sandboxclient.FireOptions{}, http.StatusConflict}, // no configuration
	} {
		r, err := c.Fire(ctx, tc.event, tc.o)
		asError(t, err, tc.status)
		if len(r.DeliveryIDs) != 0 {
			t.Errorf("%s %+v: fired %v", tc.event, tc.o, r.DeliveryIDs)
		}
	}
	if _, err := c.Fire(ctx, "action_lifecycle", sandboxclient.FireOptions{Payload: func() {}}); err == nil || IsAnyStatus(err) {
		t.Errorf("a payload that is not JSON: %v", err)
	}

	if err := c.DeletePostback(ctx, "action_lifecycle"); err != nil {
		t.Fatal(err)
	}
	asError(t, c.DeletePostback(ctx, "action_lifecycle"), http.StatusNotFound)
	if _, err := c.Fire(ctx, "action_lifecycle", sandboxclient.FireOptions{}); !strings.Contains(err.Error(), "configure it with PUT") {
		t.Errorf("fire without a configuration: %v", err)
	}
	if err := c.ClearDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	if l, err := c.Deliveries(ctx, sandboxclient.DeliveryFilter{}); err != nil || l.Count != 0 {
		t.Errorf("after ClearDeliveries: %+v, %v", l, err)
	}
	_, err = c.Delivery(ctx, one.DeliveryIDs[0])
	asError(t, err, http.StatusNotFound)
}

// A delivery refused once waits 15 s for its next attempt: Retry makes
// it now; Replay sends it again as a new delivery.
func TestRetryAndReplay(t *testing.T) {
	_, c := start(t, sandbox.Config{})
	ctx := t.Context()
	rc := newReceiver(t, 1)
	if _, err := c.ConfigurePostback(ctx, rc.postback()); err != nil {
		t.Fatal(err)
	}
	fired, err := c.Fire(ctx, "action_lifecycle", sandboxclient.FireOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := fired.DeliveryIDs[0]
	var d mockimpact.Delivery
	for deadline := time.Now().Add(10 * time.Second); len(d.Attempts) == 0; time.Sleep(5 * time.Millisecond) {
		if d, err = c.Delivery(ctx, id); err != nil || time.Now().After(deadline) {
			t.Fatalf("the first attempt: %+v, %v", d, err)
		}
	}
	if d.Outcome != mockimpact.DeliveryPending || d.Attempts[0].Status != http.StatusServiceUnavailable {
		t.Fatalf("after a 503: %+v", d)
	}
	due, err := c.Retry(ctx, id)
	if err != nil || due.IsZero() {
		t.Fatalf("Retry: %v, %v", due, err)
	}
	if d, err = c.WaitDelivery(ctx, id); err != nil || d.Outcome != mockimpact.DeliveryDelivered || len(d.Attempts) != 2 {
		t.Fatalf("after Retry: %+v, %v", d, err)
	}
	_, err = c.Retry(ctx, id) // ended: no attempt waits
	asError(t, err, http.StatusConflict)
	_, err = c.Retry(ctx, "d999999")
	asError(t, err, http.StatusNotFound)

	again, err := c.Replay(ctx, id)
	if err != nil || again == "" || again == id {
		t.Fatalf("Replay: %q, %v", again, err)
	}
	if d, err := c.WaitDelivery(ctx, again); err != nil || d.Outcome != mockimpact.DeliveryDelivered {
		t.Fatalf("the replay: %+v, %v", d, err)
	}
	if got := rc.got(); len(got) != 3 || got[0] != got[2] {
		t.Errorf("the receiver got %v: want the same action three times", got)
	}
	_, err = c.Replay(ctx, "d999999")
	asError(t, err, http.StatusNotFound)
}

// WaitDelivery gives up with the context, saying the delivery is still
// pending.
func TestWaitDeliveryTimesOut(t *testing.T) {
	_, c := start(t, sandbox.Config{})
	rc := newReceiver(t, 100)
	if _, err := c.ConfigurePostback(t.Context(), rc.postback()); err != nil {
		t.Fatal(err)
	}
	fired, err := c.Fire(t.Context(), "action_lifecycle", sandboxclient.FireOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	d, err := c.WaitDelivery(ctx, fired.DeliveryIDs[0])
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "still pending") || d.ID != fired.DeliveryIDs[0] {
		t.Errorf("WaitDelivery: %+v, %v", d, err)
	}
}

// A batch that meets the bound on pending deliveries stops with 409; the
// deliveries already fired are in the result.
func TestFireBatchStoppedPartway(t *testing.T) {
	cfg := sandbox.Config{}
	cfg.Impact.MaxPending = 2
	_, c := start(t, cfg)
	rc := newReceiver(t, 100) // every delivery stays pending
	if _, err := c.ConfigurePostback(t.Context(), rc.postback()); err != nil {
		t.Fatal(err)
	}
	r, err := c.Fire(t.Context(), "action_lifecycle", sandboxclient.FireOptions{Count: 5})
	asError(t, err, http.StatusConflict)
	if len(r.DeliveryIDs) != 2 {
		t.Errorf("fired %v, want the 2 the bound allows", r.DeliveryIDs)
	}
}
