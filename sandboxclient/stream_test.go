package sandboxclient_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/inspector"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandboxclient"
)

// next is s.Next, failing the test on an error or after 10 s.
func next(t *testing.T, s *sandboxclient.Stream) sandboxclient.Event {
	t.Helper()
	type result struct {
		ev  sandboxclient.Event
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ev, err := s.Next()
		ch <- result{ev, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Next: %v", r.err)
		}
		return r.ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event in 10 s")
	}
	return sandboxclient.Event{}
}

// The stream carries a namespace's Ocean requests and impact attempts,
// typed, with cursors to resume from.
func TestStream(t *testing.T) {
	base, admin := start(t, sandbox.Config{AdminToken: "s3cret"}, sandboxclient.WithToken("s3cret"))
	ctx := t.Context()
	if _, err := admin.CreateNamespace(ctx, sandbox.NamespaceSpec{Name: "team-a"}); err != nil {
		t.Fatal(err)
	}
	c := admin.Namespace("team-a")
	act := base + "/ns/team-a/track/activate/?imei=" + imei + "&callback=cb&event_type=0&outer_event_id="
	get(t, act+"before")

	s, err := c.Stream(ctx, sandboxclient.StreamOptions{}) // from the present
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if cur := s.Cursor(); cur != (inspector.Cursor{Ocean: 1}) {
		t.Errorf("the stream starts at %v, want 1.0", cur)
	}
	get(t, base+"/track/activate/?imei="+imei+"&callback=cb&event_type=0") // another namespace's
	get(t, act+"after")
	ev := next(t, s)
	if ev.Kind != sandboxclient.KindOcean || ev.Ocean == nil || ev.Ocean.Seq != 2 || ev.Ocean.Params["outer_event_id"] != "after" ||
		ev.Cursor != (inspector.Cursor{Ocean: 2}) || s.Cursor() != ev.Cursor || len(ev.Data) == 0 {
		t.Fatalf("the ocean event: %+v", ev)
	}

	rc := newReceiver(t, 0)
	if _, err := c.ConfigurePostback(ctx, rc.postback()); err != nil {
		t.Fatal(err)
	}
	fired, err := c.Fire(ctx, "action_lifecycle", sandboxclient.FireOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ev = next(t, s)
	if ev.Kind != sandboxclient.KindImpact || ev.Impact == nil || ev.Impact.DeliveryID != fired.DeliveryIDs[0] ||
		ev.Impact.Outcome != mockimpact.OutcomeDelivered || ev.Cursor != (inspector.Cursor{Ocean: 2, Impact: 1}) {
		t.Fatalf("the impact event: %+v", ev)
	}
	s.Close()
	if _, err := s.Next(); err == nil {
		t.Error("Next after Close: no error")
	}

	// From the start: everything the journals hold, through All.
	s, err = c.Stream(ctx, sandboxclient.StreamOptions{From: &inspector.Cursor{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var kinds []string
	for ev, err := range s.All() {
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ev.Kind)
		if len(kinds) == 3 {
			break
		}
	}
	if len(kinds) != 3 || kinds[0] != "ocean" || kinds[1] != "ocean" || kinds[2] != "impact" {
		t.Errorf("from 0.0: %v", kinds)
	}
	// Resuming after the first request.
	s2, err := c.Stream(ctx, sandboxclient.StreamOptions{From: &inspector.Cursor{Ocean: 1, Impact: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if ev := next(t, s2); ev.Kind != sandboxclient.KindOcean || ev.Ocean.Seq != 2 {
		t.Errorf("from 1.1: %+v", ev)
	}

	anon, _ := sandboxclient.New(base, sandboxclient.WithNamespace("team-a"))
	_, err = anon.Stream(ctx, sandboxclient.StreamOptions{})
	asError(t, err, http.StatusUnauthorized)
}

// The stream ends with io.EOF when the sandbox closes it; a journal
// gap is typed.
func TestStreamGapAndEnd(t *testing.T) {
	srv := httptestSSE(t, "retry: 2000\n: postbacksim stream from 5.0\n\n"+
		"id: 1005.0\nevent: gap\ndata: {\"journal\":\"ocean\",\"after\":5,\"resume\":1005}\n\n"+
		": keep-alive\n\n"+
		"id: 1005.0\nevent: future\ndata: {\"x\":\ndata: 1}\n\n")
	c, _ := sandboxclient.New(srv)
	s, err := c.Stream(t.Context(), sandboxclient.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Cursor() != (inspector.Cursor{Ocean: 5}) {
		t.Errorf("start %v", s.Cursor())
	}
	ev := next(t, s)
	if ev.Kind != sandboxclient.KindGap || ev.Gap == nil || *ev.Gap != (sandboxclient.Gap{Journal: "ocean", After: 5, Resume: 1005}) {
		t.Errorf("gap: %+v", ev)
	}
	if ev := next(t, s); ev.Kind != "future" || string(ev.Data) != "{\"x\":\n1}" {
		t.Errorf("an unknown kind: %+v %q", ev, ev.Data)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("the end: %v", err)
	}
}

// httptestSSE serves body as an event stream and returns its URL.
func httptestSSE(t *testing.T, body string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
