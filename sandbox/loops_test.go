package sandbox

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// settle waits until d has made n attempts, then a little more, so that
// a loop that would go on shows itself.
func settle(t *testing.T, d *mockimpact.Dispatcher, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.WaitForAttempts(ctx, n); err != nil {
		t.Fatalf("waiting for %d attempts: %v", n, err)
	}
	time.Sleep(200 * time.Millisecond) // real time: room for attempts that should not come
}

// TestPostbackToItselfStops: a namespace whose postback fires its own
// event again through the admin API, its token in the postback's
// headers, makes one delivery, refused by the sandbox as a loop (508)
// and journaled blocked_target, reason self, not retried. A postback to
// the sandbox's own Ocean endpoint still arrives: that route sends
// nothing, so it cannot loop.
func TestPostbackToItselfStops(t *testing.T) {
	sb := New(Config{AdminToken: adminTok})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	tn, err := sb.CreateNamespace(context.Background(), "team-a", tokA)
	if err != nil {
		t.Fatal(err)
	}
	a := client{t: t, base: hs.URL + "/ns/team-a", token: tokA}
	loop := fmt.Sprintf(`{"url":%q,"method":"POST","headers":{"Authorization":"Bearer %s"}}`, hs.URL+"/ns/team-a/_admin/impact/events/job_completed", tokA)
	if s, b := a.do("PUT", "/_admin/impact/postbacks/job_completed", loop); s != 200 {
		t.Fatalf("configure: %d %s", s, b)
	}
	if s, b := a.do("POST", "/_admin/impact/events/job_completed", ""); s != 202 && s != 200 {
		t.Fatalf("fire: %d %s", s, b)
	}
	settle(t, tn.Impact, 1)
	ds := impactDeliveries(t, tn.Impact)
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1: the loop was not stopped", len(ds))
	}
	at := ds[0].Attempts[0]
	if at.Outcome != mockimpact.OutcomeBlockedTarget || at.Retry || at.Status != 508 || !strings.Contains(at.Error, "self") {
		t.Errorf("attempt: %s status %d retry %v %q; want blocked_target, 508, reason self, final", at.Outcome, at.Status, at.Retry, at.Error)
	}

	ocean := fmt.Sprintf(`{"url":%q,"method":"GET","format":"none"}`, hs.URL+"/ns/team-a/track/activate/?callback={ActionId}&idfa=i&event_type=2")
	if s, b := a.do("PUT", "/_admin/impact/postbacks/action_lifecycle", ocean); s != 200 {
		t.Fatalf("configure: %d %s", s, b)
	}
	if s, b := a.do("POST", "/_admin/impact/events/action_lifecycle", ""); s != 202 && s != 200 {
		t.Fatalf("fire: %d %s", s, b)
	}
	settle(t, tn.Impact, 2)
	ds = impactDeliveries(t, tn.Impact)
	if len(ds) != 2 || ds[1].Outcome != mockimpact.DeliveryDelivered {
		t.Fatalf("the postback to the sandbox's own Ocean endpoint: %+v", ds[len(ds)-1])
	}
}

// TestPingPongBetweenSandboxesStops: sandbox A's postback fires an event
// at B, whose postback fires one back at A: the chain stops when it
// comes back to A (two deliveries in all), the second refused as a
// loop.
func TestPingPongBetweenSandboxesStops(t *testing.T) {
	var sbs [2]*Sandbox
	var urls [2]string
	for i := range sbs {
		sbs[i] = New(Config{})
		defer sbs[i].Close()
		hs := httptest.NewServer(sbs[i])
		defer hs.Close()
		urls[i] = hs.URL
	}
	for i := range sbs {
		other := urls[1-i] + "/_admin/impact/events/job_completed"
		c := client{t: t, base: urls[i]}
		if s, b := c.do("PUT", "/_admin/impact/postbacks/job_completed", fmt.Sprintf(`{"url":%q,"method":"POST"}`, other)); s != 200 {
			t.Fatalf("configure: %d %s", s, b)
		}
	}
	if s, b := (client{t: t, base: urls[0]}).do("POST", "/_admin/impact/events/job_completed", ""); s != 202 && s != 200 {
		t.Fatalf("fire: %d %s", s, b)
	}
	settle(t, sbs[1].Impact, 1)
	settle(t, sbs[0].Impact, 1)
	a, b := impactDeliveries(t, sbs[0].Impact), impactDeliveries(t, sbs[1].Impact)
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("A made %d deliveries, B %d; want one each", len(a), len(b))
	}
	if a[0].Outcome != mockimpact.DeliveryDelivered || b[0].Outcome != mockimpact.DeliveryBlocked || len(b[0].Hops) != 1 {
		t.Errorf("A's delivery %s; B's %s with hops %v; want delivered, then blocked_target (self) carrying A's marker", a[0].Outcome, b[0].Outcome, b[0].Hops)
	}
}

// TestPingPongBetweenReplicasStops: two replicas on one Redis are one
// sandbox and share a hop marker: replica A's postback to replica B's
// admin API (whose event would post back to A's) is refused at its first
// hop, whichever replica sends it.
func TestPingPongBetweenReplicasStops(t *testing.T) {
	rs := redistest.Start(t)
	a, urlA := redisReplica(t, rs, Config{})
	b, urlB := redisReplica(t, rs, Config{})
	if a.hop != b.hop || a.hop == "" {
		t.Fatalf("replicas' hop markers %q and %q: want one, shared", a.hop, b.hop)
	}
	for event, target := range map[string]string{
		"job_completed":    urlB + "/_admin/impact/events/action_lifecycle",
		"action_lifecycle": urlA + "/_admin/impact/events/job_completed",
	} {
		if s, body := send(t, "PUT", urlA+"/_admin/impact/postbacks/"+event, fmt.Sprintf(`{"url":%q,"method":"POST"}`, target)); s != 200 {
			t.Fatalf("configure %s: %d %s", event, s, body)
		}
	}
	if s, body := send(t, "POST", urlA+"/_admin/impact/events/job_completed", ""); s != 202 {
		t.Fatalf("fire: %d %s", s, body)
	}
	settle(t, a.Impact, 1)
	time.Sleep(time.Second) // real time: the replicas poll the shared schedule
	ds := impactDeliveries(t, a.Impact)
	if len(ds) != 1 || ds[0].Outcome != mockimpact.DeliveryBlocked {
		t.Fatalf("deliveries: %+v; want one, blocked_target (self)", ds)
	}
}
