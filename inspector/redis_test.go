package inspector_test

import (
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockocean"
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
		store, err := mockocean.NewRedisStore(mockocean.RedisOptions{URL: rs.URL(), Prefix: "inspector:"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close() })
		return sandboxtest.NewServer(t, sandbox.Config{Ocean: mockocean.Config{Store: store}})
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
	}
}
