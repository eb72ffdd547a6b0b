package inspector_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/redisstore"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

// TestPagesAndStreamOnRedis: with the Ocean state on Redis, a replica's
// stream carries the other replica's requests, and the pages read the
// shared journal (the request as received is not kept there: the detail
// page shows the decoded request).
func TestPagesAndStreamOnRedis(t *testing.T) {
	rs := redistest.Start(t)
	replica := func() *sandboxtest.Server {
		store, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "inspector:"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close() })
		return sandboxtest.NewServer(t, func(c *sandbox.Config) { c.Store, c.ReplicaID = store, "replica-x" })
	}
	a, b := replica(), replica()
	events, _ := stream(t, a.URL+"/_admin/stream", nil)
	do(t, "GET", b.URL+okQuery+"sent-to-b", nil, nil)
	e := next(t, events)
	for e.name != "ocean" {
		e = next(t, events)
	}
	if !strings.Contains(e.data, "sent-to-b") {
		t.Fatalf("replica A's stream: %+v, want B's request", e)
	}
	for _, p := range []string{"/", "/ocean", "/ocean/1"} {
		resp, body := do(t, "GET", a.URL+p, nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "sent-to-b") && p != "/" {
			t.Errorf("GET %s on replica A: %d\n%.300s", p, resp.StatusCode, body)
		}
		if p == "/ocean/1" && (!strings.Contains(body, "answered by replica replica-x") || strings.Contains(body, "No longer in the journal") ||
			!strings.Contains(body, "outer_event_id=sent-to-b")) {
			t.Errorf("the request's page does not name the replica that answered it, or lacks the request as received:\n%s", body)
		}
	}
	if !strings.Contains(e.data, `"replica":"replica-x"`) {
		t.Errorf("the stream's event does not name the replica: %s", e.data)
	}

	// The attempts say which replica sent them; the list dates them.
	if _, err := a.Namespace(sandbox.DefaultNamespace).Impact.Configure(t.Context(), mockimpact.Postback{Event: "action_lifecycle", URL: b.URL + okQuery + "{ActionId}", Method: "GET", Format: "none"}); err != nil {
		t.Fatal(err)
	}
	ev, err := fixtures.Generate("action_lifecycle", fixtures.GenOptions{Seed: 4}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Namespace(sandbox.DefaultNamespace).Impact.Fire(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := a.Namespace(sandbox.DefaultNamespace).Impact.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if resp, body := do(t, "GET", a.URL+"/deliveries/"+id, nil, nil); resp.StatusCode != 200 || !strings.Contains(body, "Sent by") || !strings.Contains(body, "replica-x") {
		t.Errorf("delivery page on Redis: %d, want a Sent by column naming replica-x\n%s", resp.StatusCode, body)
	}
	dl, _, _ := a.Namespace(sandbox.DefaultNamespace).Impact.Delivery(t.Context(), id)
	if _, body := do(t, "GET", a.URL+"/impact", nil, nil); !strings.Contains(body, dl.Fired.UTC().Format("2006-01-02 15:04:05")) {
		t.Errorf("the deliveries list does not date the delivery fired %v", dl.Fired)
	}
}

// TestPagesSayTheStoreIsDown: while Redis is down a page answers 503
// saying so, not empty tables; it comes back with Redis.
func TestPagesSayTheStoreIsDown(t *testing.T) {
	rs := redistest.Start(t)
	store, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "down:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.Store = store })
	do(t, "GET", srv.URL+okQuery+"kept", nil, nil)
	rs.Stop()
	for _, p := range []string{"/", "/ocean"} {
		if resp, body := do(t, "GET", srv.URL+p, nil, nil); resp.StatusCode != 503 || !strings.Contains(body, "store cannot be read") {
			t.Errorf("GET %s with Redis down: %d\n%.200s", p, resp.StatusCode, body)
		}
	}
	rs.Restart()
	if resp, body := do(t, "GET", srv.URL+"/ocean", nil, nil); resp.StatusCode != 200 || !strings.Contains(body, "kept") {
		t.Errorf("GET /ocean after Redis came back: %d\n%.200s", resp.StatusCode, body)
	}
}
