package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/redisstore"
)

// redisReplica starts a sandbox configured by cfg on rs, as serve --store
// does: a store of its own (its own connections), the prefix "t:".
func redisReplica(t *testing.T, rs *redistest.Server, cfg Config) (*Sandbox, string) {
	t.Helper()
	store, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	cfg.Store = store
	sb := New(cfg)
	hs := httptest.NewServer(sb)
	t.Cleanup(func() { hs.Close(); sb.Close() })
	return sb, hs.URL
}

// countingReceiver answers OK to every postback and counts them; it
// stops when the test ends.
func countingReceiver(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("OK"))
	}))
	t.Cleanup(receiver.Close)
	return receiver, &hits
}

func send(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A postback configuration saved through one replica is used by the
// other, per namespace, and deleted through either.
func TestRedisPostbacksSharedByReplicas(t *testing.T) {
	rs := redistest.Start(t)
	receiver, hits := countingReceiver(t)
	a, urlA := redisReplica(t, rs, Config{})
	b, urlB := redisReplica(t, rs, Config{})
	for _, sb := range []*Sandbox{a, b} {
		if _, err := sb.Namespace(context.Background(), "team1"); err != nil {
			t.Fatal(err)
		}
	}

	put := `{"url":"` + receiver.URL + `/pb?id={ActionId}","method":"GET","format":"none","success":"OK"}`
	if code, body := send(t, "PUT", urlA+"/_admin/impact/postbacks/action_lifecycle", put); code != 200 {
		t.Fatalf("PUT on A: %d %s", code, body)
	}
	if got, err := rs.Do("HEXISTS", "t:{default}:impact:postbacks", "action_lifecycle"); err != nil || got != ":1" {
		t.Fatalf("HEXISTS t:{default}:impact:postbacks action_lifecycle = %q, %v; want :1", got, err)
	}
	if got, err := rs.Do("PTTL", "t:{default}:impact:postbacks"); err != nil || got == ":-1" || got == ":-2" {
		t.Fatalf("PTTL of the postbacks = %q, %v; want the store's idle TTL", got, err)
	}
	code, body := send(t, "GET", urlB+"/_admin/impact/postbacks", "")
	if code != 200 || !strings.Contains(body, receiver.URL+"/pb?id={ActionId}") {
		t.Fatalf("GET on B: %d %s", code, body)
	}
	if code, body := send(t, "POST", urlB+"/_admin/impact/events/action_lifecycle?seed=3", ""); code != 202 {
		t.Fatalf("fire on B: %d %s", code, body)
	}
	if err := b.Impact.WaitIdle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := impactDeliveries(t, b.Impact); len(d) != 1 || d[0].Outcome != mockimpact.DeliveryDelivered {
		t.Fatalf("B's deliveries: %+v", d)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}

	// Namespaces keep their own configurations.
	if code, body := send(t, "POST", urlB+"/ns/team1/_admin/impact/events/action_lifecycle", ""); code != 409 {
		t.Fatalf("fire in team1, configured in default only: %d %s; want 409", code, body)
	}

	// A changed configuration is used at once by the other replica.
	changed := strings.Replace(put, `"success":"OK"`, `"success":"NEVER"`, 1)
	if code, body := send(t, "PUT", urlB+"/_admin/impact/postbacks/action_lifecycle", changed); code != 200 {
		t.Fatalf("PUT on B: %d %s", code, body)
	}
	if p := impactPostbacks(t, a.Impact); len(p) != 1 || p[0].Success.Text != "NEVER" {
		t.Fatalf("A's postbacks after B's PUT: %+v", p)
	}

	if code, body := send(t, "DELETE", urlB+"/_admin/impact/postbacks/action_lifecycle", ""); code != 204 {
		t.Fatalf("DELETE on B: %d %s", code, body)
	}
	if code, body := send(t, "DELETE", urlA+"/_admin/impact/postbacks/action_lifecycle", ""); code != 404 {
		t.Fatalf("DELETE again on A: %d %s; want 404", code, body)
	}
	if _, err := a.Impact.Fire(t.Context(), mustEvent(t, "action_lifecycle")); !errors.Is(err, mockimpact.ErrNoPostback) {
		t.Fatalf("Fire on A after the DELETE on B: %v; want ErrNoPostback", err)
	}

	// Without Redis, the endpoints answer 503.
	rs.Stop()
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/_admin/impact/postbacks/action_lifecycle", put},
		{"GET", "/_admin/impact/postbacks", ""},
		{"DELETE", "/_admin/impact/postbacks/action_lifecycle", ""},
		{"POST", "/_admin/impact/events/action_lifecycle", ""},
		{"GET", "/_admin/impact/deliveries", ""},
	} {
		if code, body := send(t, c.method, urlA+c.path, c.body); code != 503 || !strings.Contains(body, "state store unavailable") {
			t.Errorf("%s %s without Redis: %d %s; want 503", c.method, c.path, code, body)
		}
	}
}

func mustEvent(t *testing.T, name string) fixtures.Event {
	t.Helper()
	ev, err := fixtures.Generate(name, fixtures.GenOptions{Seed: 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// A namespace created on one replica is opened by its token on the
// other, which Redis holds as a SHA-256; its state is shared; deleted on
// one, it is gone from the other within namespaceRecheck, with its keys.
func TestRedisNamespacesSharedByReplicas(t *testing.T) {
	rs := redistest.Start(t)
	vc := clock.NewVirtual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	cfg := Config{AdminToken: adminTok, Clock: vc, MaxNamespaces: 2}
	a, urlA := redisReplica(t, rs, cfg)
	_, urlB := redisReplica(t, rs, cfg)
	adminA, adminB := client{t: t, base: urlA, token: adminTok}, client{t: t, base: urlB, token: adminTok}
	teamA, teamOnB := client{t: t, base: urlA, token: tokA}, client{t: t, base: urlB, token: tokA}
	wrongOnB, anonB := client{t: t, base: urlB, token: tokB}, client{t: t, base: urlB}

	if s, body := adminA.do("POST", NamespacesPath, `{"name":"team-a","token":"`+tokA+`"}`); s != 201 {
		t.Fatalf("create on A: %d %s", s, body)
	}
	rec, err := rs.Do("HGET", "t:{_sandbox}:namespaces", "team-a")
	sum := sha256.Sum256([]byte(tokA))
	if err != nil || !strings.Contains(rec, hex.EncodeToString(sum[:])) || strings.Contains(rec, tokA) {
		t.Fatalf("Redis's record of team-a = %q, %v; want the token's SHA-256, never the token", rec, err)
	}
	if s, body := adminB.do("POST", NamespacesPath, `{"name":"team-a","token":"`+tokB+`"}`); s != 409 || !strings.Contains(body, "namespace exists") {
		t.Fatalf("create again on B: %d %s; want 409", s, body)
	}
	if s, body := adminB.do("POST", NamespacesPath, `{"name":"default"}`); s != 409 {
		t.Fatalf("create default: %d %s; want 409", s, body)
	}
	if s, body := adminB.do("POST", NamespacesPath, `{"name":"team-b"}`); s != 201 {
		t.Fatalf("create team-b on B: %d %s", s, body)
	}
	if s, body := adminA.do("POST", NamespacesPath, `{"name":"team-c"}`); s != 409 || !strings.Contains(body, "--max-namespaces") {
		t.Fatalf("a third namespace on A, two held across the replicas: %d %s; want 409", s, body)
	}
	if s, body := adminB.do("GET", NamespacesPath, ""); s != 200 || !strings.Contains(body, `"count": 3`) || !strings.Contains(body, `"name": "team-a"`) {
		t.Fatalf("list on B: %d %s", s, body)
	}

	// Opened on B by its token only.
	for _, c := range []struct {
		who  client
		want int
	}{{teamOnB, 200}, {wrongOnB, 403}, {anonB, 401}, {adminB, 200}} {
		if s, body := c.who.do("GET", "/ns/team-a/_admin/ocean/requests", ""); s != c.want {
			t.Errorf("GET team-a's journal on B with token %.6q: %d %s; want %d", c.who.token, s, body, c.want)
		}
	}
	// Its state is shared: a conversion sent to B is a duplicate on A.
	conv := "/ns/team-a/track/activate/?callback=c&idfa=i&event_type=0&outer_event_id=o1"
	if s, body := teamOnB.do("GET", conv, ""); s != 200 || !strings.Contains(body, `"code":0`) {
		t.Fatalf("conversion on B: %d %s", s, body)
	}
	if s, body := teamA.do("GET", conv, ""); s != 200 || !strings.Contains(body, `"code":40004`) {
		t.Fatalf("same conversion on A: %d %s; want 40004", s, body)
	}

	// Deleted on B: gone from A once A checks again.
	if s, body := adminB.do("DELETE", NamespacesPath+"/team-a", ""); s != 204 {
		t.Fatalf("delete on B: %d %s", s, body)
	}
	if got, err := rs.Do("EXISTS", "t:{team-a}:ocean:journal", "t:{team-a}:ocean:dedup"); err != nil || got != ":0" {
		t.Fatalf("team-a's keys after the delete: EXISTS = %q, %v; want :0", got, err)
	}
	vc.Advance(namespaceRecheck)
	if s, body := teamA.do("GET", "/ns/team-a/_admin/ocean/requests", ""); s != 403 {
		t.Fatalf("team-a's token on A after the delete on B: %d %s; want 403", s, body)
	}
	if s, body := adminA.do("GET", "/ns/team-a/_admin/ocean/requests", ""); s != 404 {
		t.Fatalf("team-a on A after the delete on B: %d %s; want 404", s, body)
	}
	if a.lookup("team-a") != nil {
		t.Fatal("A still holds team-a")
	}
}

// An idle namespace expires on every replica, though used only on one.
func TestRedisNamespacesExpire(t *testing.T) {
	rs := redistest.Start(t)
	vc := clock.NewVirtual(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	cfg := Config{Clock: vc, NamespaceTTL: time.Hour}
	a, urlA := redisReplica(t, rs, cfg)
	b, urlB := redisReplica(t, rs, cfg)
	if s, body := (client{t: t, base: urlA}).do("GET", "/ns/busy/_admin/ocean/requests", ""); s != 200 {
		t.Fatalf("traffic creates busy on A: %d %s", s, body)
	}
	if _, err := b.Namespace(context.Background(), "idle"); err != nil {
		t.Fatal(err)
	}
	for range 3 { // busy is used on B only, every 30 minutes
		vc.Advance(30 * time.Minute)
		if s, body := (client{t: t, base: urlB}).do("GET", "/ns/busy/_admin/ocean/requests", ""); s != 200 {
			t.Fatalf("busy on B: %d %s", s, body)
		}
	}
	names := func(sb *Sandbox) []string {
		var out []string
		for _, in := range testtb.Must(sb.Namespaces(context.Background())) {
			out = append(out, in.Name)
		}
		return out
	}
	if got := names(a); strings.Join(got, ",") != "busy,default" {
		t.Fatalf("A's namespaces after 90 minutes: %v; want busy and default (idle expired)", got)
	}
	vc.Advance(namespaceRecheck)
	if got := names(b); strings.Join(got, ",") != "busy,default" {
		t.Fatalf("B's namespaces: %v; want busy and default", got)
	}
	if b.lookup("idle") != nil {
		t.Fatal("B still holds idle")
	}
}

// A delivery fired on replica A, closed without draining, is sent by
// replica B, once, and journaled with B's replica id; both read it.
func TestRedisDeliveriesSurviveAReplica(t *testing.T) {
	rs := redistest.Start(t)
	receiver, hits := countingReceiver(t)
	a, urlA := redisReplica(t, rs, Config{ReplicaID: "replica-a", StoreLease: 500 * time.Millisecond})
	b, urlB := redisReplica(t, rs, Config{ReplicaID: "replica-b", StoreLease: 500 * time.Millisecond})
	put := `{"url":"` + receiver.URL + `/pb?id={ActionId}","method":"GET","format":"none","success":"OK","min_delay":"300ms"}`
	if code, body := send(t, "PUT", urlA+"/_admin/impact/postbacks/action_lifecycle", put); code != 200 {
		t.Fatalf("PUT on A: %d %s", code, body)
	}
	for i := range 3 {
		if code, body := send(t, "POST", urlA+"/_admin/impact/events/action_lifecycle?seed="+strconv.Itoa(i+1), ""); code != 202 {
			t.Fatalf("fire on A: %d %s", code, body)
		}
	}
	if n := a.Close(); n != 0 {
		t.Fatalf("A's Close cancelled %d deliveries; want 0, left to B", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := b.Impact.WaitIdle(ctx); err != nil {
		t.Fatalf("B did not send A's deliveries: %v", err)
	}
	// Idle: no attempt is due or claimed on any replica (an attempt
	// leaves the schedule only as it is journaled), so none can be sent
	// again.
	if n := hits.Load(); n != 3 {
		t.Fatalf("receiver got %d requests; want 3, each once", n)
	}
	code, body := send(t, "GET", urlB+"/_admin/impact/deliveries", "")
	if code != 200 || strings.Count(body, `"replica": "replica-b"`) != 3 || !strings.Contains(body, `"count": 3`) {
		t.Fatalf("deliveries on B: %d %s; want 3, each sent by replica-b", code, body)
	}
	if _, body2 := send(t, "GET", urlA+"/_admin/impact/deliveries", ""); body2 != body {
		t.Fatalf("A reads other deliveries than B:\n%s\n%s", body2, body)
	}
}

// With --time-scale, replicas agree on due times through the epoch kept
// in Redis: a delivery fired on A (closed) is sent by B when due.
func TestRedisDeliveriesOnAScaledClock(t *testing.T) {
	rs := redistest.Start(t)
	receiver, hits := countingReceiver(t)
	a, urlA := redisReplica(t, rs, Config{TimeScale: 60, ReplicaID: "a"})
	time.Sleep(50 * time.Millisecond) // B starts later: without the common epoch, its clock would lag A's by 3 s
	b, _ := redisReplica(t, rs, Config{TimeScale: 60, ReplicaID: "b"})
	if d := b.Impact.Clock().Now().Sub(a.Impact.Clock().Now()); d < -time.Second || d > time.Second {
		t.Fatalf("the replicas' scaled clocks differ by %v", d)
	}
	if got, err := rs.Do("GET", "t:{_sandbox}:epoch"); err != nil || !strings.HasSuffix(got, " 60") {
		t.Fatalf("GET t:{_sandbox}:epoch = %q, %v; want the epoch and the scale", got, err)
	}
	put := `{"url":"` + receiver.URL + `/pb?id={ActionId}","method":"GET","format":"none","success":"OK","min_delay":"30s"}`
	if code, body := send(t, "PUT", urlA+"/_admin/impact/postbacks/action_lifecycle", put); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, body := send(t, "POST", urlA+"/_admin/impact/events/action_lifecycle?seed=1", ""); code != 202 {
		t.Fatalf("fire: %d %s", code, body)
	}
	a.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := b.Impact.WaitIdle(ctx); err != nil {
		t.Fatalf("B did not send it: %v", err)
	}
	ds := impactDeliveries(t, b.Impact)
	if len(ds) != 1 || len(ds[0].Attempts) != 1 || ds[0].Attempts[0].Replica != "b" || hits.Load() != 1 {
		t.Fatalf("deliveries %+v, %d requests; want one attempt by b", ds, hits.Load())
	}
	// Due 30 s (scaled) after firing: sent then, not before, and within
	// the polling (200 ms wall, 12 s scaled) and the test's slack.
	if late := ds[0].Attempts[0].Actual.Sub(ds[0].Fired); late < 30*time.Second || late > 30*time.Second+30*time.Second {
		t.Fatalf("sent %v after it was fired; want 30s (scaled) and the polling", late)
	}
}

// TestRedisNamespaceDeliveriesSurviveAReplica: deliveries fired in a
// namespace on A are sent by B after A dies, although no request ever
// reaches that namespace on B: each replica opens every namespace Redis
// holds. A namespace deleted through A is closed on B the same way.
func TestRedisNamespaceDeliveriesSurviveAReplica(t *testing.T) {
	rs := redistest.Start(t)
	receiver, hits := countingReceiver(t)
	a, urlA := redisReplica(t, rs, Config{ReplicaID: "replica-a", StoreLease: 500 * time.Millisecond})
	b, _ := redisReplica(t, rs, Config{ReplicaID: "replica-b", StoreLease: 500 * time.Millisecond})
	if code, body := send(t, "POST", urlA+NamespacesPath, `{"name":"orphan"}`); code != 201 {
		t.Fatalf("create on A: %d %s", code, body)
	}
	put := `{"url":"` + receiver.URL + `/pb?id={ActionId}","method":"GET","format":"none","success":"OK","min_delay":"300ms"}`
	if code, body := send(t, "PUT", urlA+"/ns/orphan/_admin/impact/postbacks/action_lifecycle", put); code != 200 {
		t.Fatalf("PUT on A: %d %s", code, body)
	}
	for i := range 2 {
		if code, body := send(t, "POST", urlA+"/ns/orphan/_admin/impact/events/action_lifecycle?seed="+strconv.Itoa(i+1), ""); code != 202 {
			t.Fatalf("fire on A: %d %s", code, body)
		}
	}
	a.Close()
	waitUntil(t, "B to send the namespace's 2 deliveries", func() bool { return hits.Load() >= 2 })
	ns := b.lookup("orphan")
	if ns == nil {
		t.Fatal("B has not opened the namespace")
	}
	// The receiver counts an attempt before B journals it.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := ns.Impact.WaitIdle(ctx); err != nil {
		t.Fatalf("B did not journal the namespace's deliveries: %v", err)
	}
	for _, d := range impactDeliveries(t, ns.Impact) {
		if len(d.Attempts) != 1 || d.Attempts[0].Replica != "replica-b" {
			t.Errorf("delivery %s: attempts %+v; want one, by replica-b", d.ID, d.Attempts)
		}
	}

	// Deleted through another replica (here, a registry of its own on
	// the same Redis): B closes it and forgets its series.
	other, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "t:"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if removed, err := other.Registry().RemoveNamespace(context.Background(), "orphan", 0); err != nil || !removed {
		t.Fatalf("removing orphan elsewhere: %v, %v", removed, err)
	}
	waitUntil(t, "B to close the namespace deleted elsewhere", func() bool { return b.lookup("orphan") == nil })
}

// TestRedisNamespacesAnswer503WhenRedisIsDown: the namespace list is
// Redis's; without Redis it is a 503, not this replica's partial view.
func TestRedisNamespacesAnswer503WhenRedisIsDown(t *testing.T) {
	rs := redistest.Start(t)
	_, url := redisReplica(t, rs, Config{})
	if code, body := send(t, "GET", url+NamespacesPath, ""); code != 200 {
		t.Fatalf("with Redis: %d %s", code, body)
	}
	rs.Stop()
	if code, body := send(t, "GET", url+NamespacesPath, ""); code != 503 || !strings.Contains(body, "unavailable") {
		t.Fatalf("without Redis: %d %s; want 503", code, body)
	}
}

// TestRedisScaledClocksKeepTheirEpoch: a Redis that lost the scaled
// clocks' epoch gets the running replica's back (not a new one from the
// next replica to start); one holding another epoch is reported, once.
// A replica on the wall clock joining scaled ones is warned at start.
func TestRedisScaledClocksKeepTheirEpoch(t *testing.T) {
	rs := redistest.Start(t)
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	a, _ := redisReplica(t, rs, Config{TimeScale: 60, ReplicaID: "a", Logger: logger})
	const key = "t:{_sandbox}:epoch"
	mine, err := rs.Do("GET", key)
	if err != nil || mine != a.epochVal || !strings.HasSuffix(mine, " 60") {
		t.Fatalf("epoch in Redis %q (%v), A runs on %q", mine, err, a.epochVal)
	}
	if _, err := rs.Do("DEL", key); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the epoch to be stored again", func() bool { got, _ := rs.Do("GET", key); return got == mine })
	waitUntil(t, "the warning", func() bool { return logs.count(t, "Redis had lost the scaled clocks' epoch") == 1 })

	if _, err := rs.Do("SET", key, "1 60"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the error", func() bool { return logs.count(t, "the replicas disagree on the scaled impact clock") == 1 })
	waitMoreRounds(t, a, 3) // it is said once
	if n := logs.count(t, "the replicas disagree"); n != 0 {
		t.Fatalf("the disagreement was reported %d more times", n)
	}

	redisReplica(t, rs, Config{ReplicaID: "wall", Logger: logger})
	waitUntil(t, "the wall-clock replica's warning", func() bool { return logs.count(t, "the replicas on this Redis run another --time-scale") == 1 })
}

// TestRedisWallClockReplicaWarnedOfScaledOnes: a replica on the wall
// clock is warned when a scaled replica joins it later, too.
func TestRedisWallClockReplicaWarnedOfScaledOnes(t *testing.T) {
	rs := redistest.Start(t)
	var logs syncBuffer
	wall, _ := redisReplica(t, rs, Config{ReplicaID: "wall", Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	waitMoreRounds(t, wall, 2) // alone: nothing to say
	if l := logs.lines(t); len(l) != 0 {
		t.Fatalf("a replica alone logged %v", l)
	}
	redisReplica(t, rs, Config{ReplicaID: "scaled", TimeScale: 600})
	n := 0
	waitUntil(t, "the warning about the scaled replica", func() bool {
		for _, l := range logs.lines(t) {
			if strings.Contains(l["msg"].(string), "run another --time-scale") && l["theirs"] == "600" {
				n++
			}
		}
		return n > 0
	})
	if n != 1 {
		t.Fatalf("the wall-clock replica logged %d warnings about the scaled one, want 1", n)
	}
	waitMoreRounds(t, wall, 2) // once
	if l := logs.lines(t); len(l) != 0 {
		t.Fatalf("said again: %v", l)
	}
}

// TestRedisJournalNamesTheReplica: in the shared journal, each request
// says which replica answered it.
func TestRedisJournalNamesTheReplica(t *testing.T) {
	rs := redistest.Start(t)
	_, urlA := redisReplica(t, rs, Config{ReplicaID: "replica-a"})
	_, urlB := redisReplica(t, rs, Config{ReplicaID: "replica-b"})
	for _, u := range []string{urlA, urlB} {
		if code, body := send(t, "GET", u+"/track/activate/?callback=c&idfa=i&event_type=2", ""); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
	}
	code, body := send(t, "GET", urlB+"/_admin/ocean/requests", "")
	a, b := strings.Index(body, `"replica": "replica-a"`), strings.Index(body, `"replica": "replica-b"`)
	if code != 200 || a < 0 || b < a {
		t.Fatalf("journal on B: %d\n%s\nwant the first request answered by replica-a, the second by replica-b", code, body)
	}
}

// TestRedisOutageLoggedOnce: a Redis outage is one warning, when the
// sandbox first finds the store down (here through /readyz), and one
// line when its check every second of the sandbox's clock finds it back,
// saying how long it was down; the checks in between log nothing.
func TestRedisOutageLoggedOnce(t *testing.T) {
	rs := redistest.Start(t)
	var logs syncBuffer
	vc := clock.NewVirtual(time.Time{})
	_, base := redisReplica(t, rs, Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Clock: vc, SummaryEvery: -1})
	storeLines := func() []map[string]any {
		var out []map[string]any
		for _, l := range logs.lines(t) {
			if msg, _ := l["msg"].(string); strings.HasPrefix(msg, "state store") {
				out = append(out, l)
			}
		}
		return out
	}
	vc.Advance(storeCheckEvery)
	if got := storeLines(); len(got) != 0 {
		t.Fatalf("Redis up: %v; want no store line", got)
	}

	rs.Stop()
	if st, _ := send(t, "GET", base+"/readyz", ""); st != http.StatusServiceUnavailable {
		t.Fatalf("readyz with Redis stopped: %d", st)
	}
	downAt := vc.Now()
	for range 5 {
		vc.Advance(storeCheckEvery)
	}
	got := storeLines()
	if len(got) != 1 || got[0]["level"] != "WARN" || got[0]["msg"] != "state store unavailable" ||
		!strings.Contains(fmt.Sprint(got[0]["error"]), "connection refused") {
		t.Fatalf("Redis down through /readyz and 5 checks: %v; want one warning with the error", got)
	}

	rs.Restart()
	for i := 0; ; i++ {
		vc.Advance(storeCheckEvery)
		if got = storeLines(); len(got) > 0 || i == 10 {
			break
		}
	}
	want := vc.Now().Sub(downAt)
	if len(got) != 1 || got[0]["level"] != "INFO" || got[0]["msg"] != "state store available again" ||
		got[0]["down_for"] != float64(want) {
		t.Fatalf("Redis back: %v; want one line, down_for %d (%v)", got, want, want)
	}
	for range 3 {
		vc.Advance(storeCheckEvery)
	}
	if got := storeLines(); len(got) != 0 {
		t.Fatalf("Redis up again: %v; want no more store lines", got)
	}
}

// TestRedisTakeoverIsLogged: an attempt whose replica stopped while it
// was in flight is sent again by another replica after the lease, and
// that replica says so (the receiver may have it twice), in its log and
// in the attempt.
func TestRedisTakeoverIsLogged(t *testing.T) {
	rs := redistest.Start(t)
	release := make(chan struct{})
	var hits atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			<-release // A's attempt never gets its answer
		}
		_, _ = w.Write([]byte("OK"))
	}))
	defer receiver.Close()
	defer close(release)
	var logs syncBuffer
	a, urlA := redisReplica(t, rs, Config{ReplicaID: "replica-a", StoreLease: 300 * time.Millisecond})
	b, _ := redisReplica(t, rs, Config{ReplicaID: "replica-b", StoreLease: 300 * time.Millisecond, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	put := `{"url":"` + receiver.URL + `/pb","method":"GET","format":"none","success":"OK"}`
	if code, body := send(t, "PUT", urlA+"/_admin/impact/postbacks/action_lifecycle", put); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, body := send(t, "POST", urlA+"/_admin/impact/events/action_lifecycle?seed=1", ""); code != 202 {
		t.Fatalf("fire: %d %s", code, body)
	}
	waitUntil(t, "A to send the attempt", func() bool { return hits.Load() > 0 })
	a.Close() // its attempt in flight: the lease is no longer renewed
	waitUntil(t, "B to take the attempt over", func() bool { return hits.Load() >= 2 })
	var line map[string]any
	waitUntil(t, "B's log line for the attempt", func() bool {
		for _, l := range logs.lines(t) {
			if l["msg"] == "impact attempt" {
				line = l
			}
		}
		return line != nil
	})
	if line["taken_over_from"] != "replica-a" || line["level"] != "WARN" || line["outcome"] != "delivered" {
		t.Fatalf("B's log line for the attempt: %v; want a warning naming replica-a", line)
	}
	ds := impactDeliveries(t, b.Impact)
	if len(ds) != 1 || len(ds[0].Attempts) != 1 || ds[0].Attempts[0].TakenOverFrom != "replica-a" || ds[0].Attempts[0].Replica != "replica-b" {
		t.Fatalf("deliveries: %+v; want one attempt by replica-b, taken over from replica-a", ds)
	}
}

// TestRedisReplicaHeartbeat: two running replicas with one --replica-id
// are reported; a Redis that lost its data (FLUSHALL, or a restart
// without persistence) is reported once.
func TestRedisReplicaHeartbeat(t *testing.T) {
	rs := redistest.Start(t)
	var twinLogs, soloLogs syncBuffer
	redisReplica(t, rs, Config{ReplicaID: "same"})
	twin, _ := redisReplica(t, rs, Config{ReplicaID: "same", Logger: slog.New(slog.NewJSONHandler(&twinLogs, nil))})
	solo, _ := redisReplica(t, rs, Config{ReplicaID: "solo", Logger: slog.New(slog.NewJSONHandler(&soloLogs, nil))})
	waitFor := func(logs *syncBuffer, msg string) {
		t.Helper()
		waitUntil(t, fmt.Sprintf("%q in the log", msg), func() bool { return logs.count(t, msg) > 0 })
	}
	waitFor(&twinLogs, "another running replica has this --replica-id")
	if n := soloLogs.count(t, "another running replica"); n != 0 {
		t.Fatalf("the replica with its own id was told of a twin")
	}
	waitMoreRounds(t, solo, 1) // solo has written its heartbeat
	if _, err := rs.Do("FLUSHALL"); err != nil {
		t.Fatal(err)
	}
	waitFor(&soloLogs, "Redis has lost its data")
	waitMoreRounds(t, solo, 3) // once each
	waitMoreRounds(t, twin, 3)
	if n := twinLogs.count(t, "another running replica") + soloLogs.count(t, "Redis has lost its data"); n != 0 {
		t.Fatalf("said again: %d more lines", n)
	}
}

// TestRedisHung503IsNotCountedLater replays the reproduction by hand:
// with Redis paused (SIGSTOP), /track/activate/ answers 503; resumed, the
// same request is answered as a first request (code 0, not 40004), and
// the journal holds it once, with the answer its client got.
func TestRedisHung503IsNotCountedLater(t *testing.T) {
	rs := redistest.Start(t)
	sb, u := redisReplica(t, rs, Config{})
	q := "/track/activate/?callback=c&idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&event_type=2&outer_event_id=hung-1"
	if code, body := send(t, "GET", u+"/track/activate/?callback=c&idfa=i&event_type=2&outer_event_id=warm", ""); code != 200 {
		t.Fatalf("warm-up: %d %s", code, body)
	}
	for i := range 6 {
		id := fmt.Sprintf("hung-%d", i)
		rs.Pause()
		code, body := send(t, "GET", u+strings.Replace(q, "hung-1", id, 1), "")
		time.Sleep(500 * time.Millisecond) // real time: the client retries a little later
		rs.Resume()
		if code != 503 {
			t.Fatalf("%s with Redis paused: %d %s; want 503", id, code, body)
		}
		if code, body := send(t, "GET", u+strings.Replace(q, "hung-1", id, 1), ""); code != 200 || !strings.Contains(body, `"code":0`) {
			t.Fatalf("%s sent again after the 503: %d %s; want code 0, a first request", id, code, body)
		}
	}
	reqs, err := sb.Ocean.Requests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 7 {
		t.Errorf("journal holds %d requests, want 7 (the warm-up and each retry once)", len(reqs))
	}
	for _, r := range reqs {
		if r.Code != 0 || r.Status != 200 {
			t.Errorf("journal entry %d: status %d code %d; want every one accepted once", r.Seq, r.Status, r.Code)
		}
	}
}
