package inspector_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

const okQuery = "/track/activate/?callback=abc&imei=0c2bd03c39f19845bf54ea0abafae70e&event_type=0&outer_event_id="

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, u string, body url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestPagesBesideTheAPI: pages at / and under /ns/NAME/, the JSON 404
// for API clients, and the endpoints that were there before.
func TestPagesBesideTheAPI(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	do(t, "GET", srv.URL+okQuery+"e1", nil, nil)
	for _, p := range []string{"/", "/ocean", "/ocean/1", "/impact", "/ns/team-a/", "/ns/team-a/ocean"} {
		resp, body := do(t, "GET", srv.URL+p, nil, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `<html lang="en">`) {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	resp, body := do(t, "GET", srv.URL+"/", nil, map[string]string{"Accept": "application/json"})
	if resp.StatusCode != 404 || body != `{"error":"no such path: /"}`+"\n" {
		t.Errorf("JSON client at /: %d %q", resp.StatusCode, body)
	}
	if _, body := do(t, "GET", srv.URL+"/healthz", nil, nil); !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz: %q", body)
	}
	if resp, _ := do(t, "GET", srv.URL+"/ocean/99", nil, nil); resp.StatusCode != 404 {
		t.Errorf("/ocean/99: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", srv.URL+"/deliveries/d999", nil, nil); resp.StatusCode != 404 {
		t.Errorf("/deliveries/d999: %d", resp.StatusCode)
	}
	// The request detail page shows the request as received, escaped.
	do(t, "GET", srv.URL+okQuery+"%3Cscript%3E", nil, nil)
	_, body = do(t, "GET", srv.URL+"/ocean/2", nil, nil)
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("request 2 not escaped:\n%s", body)
	}
}

// event is one Server-Sent Event.
type event struct{ id, name, data string }

// stream opens /_admin/stream and returns its events on a channel, and
// the comments on another.
func stream(t *testing.T, u string, hdr map[string]string) (<-chan event, <-chan string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events, comments := make(chan event, 10000), make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var e event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.name != "" {
					events <- e
				}
				e = event{}
			case strings.HasPrefix(line, ":"):
				comments <- line
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				e.data = line[6:]
			}
		}
	}()
	return events, comments
}

func next(t *testing.T, ch <-chan event) event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event in 10s")
		return event{}
	}
}

// TestStreamResumes: events carry the cursor as their id, and a stream
// opened with Last-Event-ID continues after it.
func TestStreamResumes(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	for i := range 3 {
		do(t, "GET", fmt.Sprintf("%s%se%d", srv.URL, okQuery, i), nil, nil)
	}
	events, _ := stream(t, srv.URL+"/_admin/stream", map[string]string{"Last-Event-ID": "1.0"})
	for _, want := range []string{"2.0", "3.0"} {
		e := next(t, events)
		if e.name != "ocean" || e.id != want || !strings.Contains(e.data, fmt.Sprintf(`"seq":%s`, want[:1])) {
			t.Fatalf("got %+v, want ocean %s", e, want)
		}
	}
	do(t, "GET", srv.URL+okQuery+"e9", nil, nil)
	if e := next(t, events); e.id != "4.0" || !strings.Contains(e.data, `"outer_event_id":"e9"`) || !strings.Contains(e.data, `"code":0`) {
		t.Fatalf("live event: %+v", e)
	}
	// A namespace has its own stream.
	nsEvents, _ := stream(t, srv.URL+"/ns/team-b/_admin/stream", nil)
	do(t, "GET", srv.URL+"/ns/team-b"+okQuery+"b1", nil, nil)
	if e := next(t, nsEvents); e.id != "1.0" || !strings.Contains(e.data, `"b1"`) {
		t.Fatalf("namespace event: %+v", e)
	}
	select {
	case e := <-events:
		t.Fatalf("the default stream got the namespace's request: %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestStreamBadCursor: a cursor that is not OCEAN.IMPACT is a 400
// naming it, by query and by header, not a stream from the present.
func TestStreamBadCursor(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	for _, c := range []struct {
		query string
		hdr   map[string]string
		names string
	}{
		{"?since=abc", nil, `since \"abc\"`},
		{"?since=1", nil, `since \"1\"`},
		{"?since=1.x", nil, `since \"1.x\"`},
		{"", map[string]string{"Last-Event-ID": "-1.0"}, `Last-Event-ID \"-1.0\"`},
	} {
		resp, body := do(t, "GET", srv.URL+"/_admin/stream"+c.query, nil, c.hdr)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.names) || !strings.Contains(body, "OCEAN.IMPACT") {
			t.Errorf("%s %v: HTTP %d %s; want 400 naming %s", c.query, c.hdr, resp.StatusCode, body, c.names)
		}
	}
}

// TestStreamKeepAlive: a comment every 15 s of the sandbox's clock.
func TestStreamKeepAlive(t *testing.T) {
	vc := clock.NewVirtual(clock.Epoch)
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.Clock, c.SummaryEvery = vc, -1 })
	_, comments := stream(t, srv.URL+"/_admin/stream", nil)
	<-comments // the greeting
	deadline := time.Now().Add(5 * time.Second)
	for vc.Pending() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	vc.Advance(14 * time.Second)
	select {
	case c := <-comments:
		t.Fatalf("keep-alive before 15s: %q", c)
	case <-time.After(50 * time.Millisecond):
	}
	vc.Advance(time.Second)
	select {
	case c := <-comments:
		if c != ": keep-alive" {
			t.Fatalf("comment %q", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no keep-alive after 15s")
	}
}

// TestSlowStreamNeverBlocks: a stream nobody reads does not hold up
// requests; when it is read again it says what it skipped.
func TestSlowStreamNeverBlocks(t *testing.T) {
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.Ocean = mockocean.Config{JournalCapacity: 3000} })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/_admin/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() // never read until the end
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 5000 {
			r, err := http.Get(fmt.Sprintf("%s%ss%d", srv.URL, okQuery, i))
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("requests blocked behind an unread stream")
	}
	b := make([]byte, 1<<20)
	var got strings.Builder
	for !strings.Contains(got.String(), `"seq":5000`) {
		n, err := resp.Body.Read(b)
		got.Write(b[:n])
		if err != nil {
			t.Fatal(err)
		}
	}
	// A stream resumed from further back than 1000 requests skips to the
	// newest 1000 and says so.
	events, _ := stream(t, srv.URL+"/_admin/stream", map[string]string{"Last-Event-ID": "0.0"})
	if e := next(t, events); e.name != "gap" || !strings.Contains(e.data, `"resume":4000`) {
		t.Fatalf("first event after falling behind: %+v", e)
	}
	if e := next(t, events); e.name != "ocean" || e.id != "4001.0" {
		t.Fatalf("after the gap: %+v", e)
	}
}

// TestLoginCookieAndCSRF: with a token, strangers see the login form
// only; the login sets an HttpOnly, SameSite=Strict cookie; a form
// without the CSRF token is refused; logout clears the cookie.
func TestLoginCookieAndCSRF(t *testing.T) {
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.AdminToken = "s3cret" })
	srv.CreateNamespace("x", "")
	do(t, "GET", srv.URL+okQuery+"secret-outer-id", nil, nil)
	for _, p := range []string{"/", "/ocean", "/ocean/1", "/impact", "/ns/x/ocean"} {
		resp, body := do(t, "GET", srv.URL+p, nil, nil)
		if resp.StatusCode != 401 || !strings.Contains(body, `name="token"`) || strings.Contains(body, "secret-outer-id") || strings.Contains(body, "Fault rules") {
			t.Errorf("stranger at %s: %d\n%s", p, resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, "GET", srv.URL+"/_admin/stream", nil, nil); resp.StatusCode != 401 {
		t.Errorf("stream without a token: %d", resp.StatusCode)
	}
	resp, _ := do(t, "POST", srv.URL+"/login", url.Values{"token": {"wrong"}}, nil)
	if resp.StatusCode != 401 || len(resp.Cookies()) != 0 {
		t.Errorf("wrong token: %d %v", resp.StatusCode, resp.Cookies())
	}
	resp, _ = do(t, "POST", srv.URL+"/login", url.Values{"token": {"s3cret"}}, nil)
	if resp.StatusCode != 303 || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d %v", resp.StatusCode, resp.Cookies())
	}
	c := resp.Cookies()[0]
	if c.Name != sandbox.TokenCookie || c.Value != "s3cret" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure {
		t.Errorf("cookie %+v", c)
	}
	cookie := map[string]string{"Cookie": sandbox.TokenCookie + "=s3cret"}
	resp, body := do(t, "GET", srv.URL+"/ocean", nil, cookie)
	if resp.StatusCode != 200 || !strings.Contains(body, "secret-outer-id") || !strings.Contains(body, sandbox.CSRFToken("s3cret")) {
		t.Errorf("logged in: %d", resp.StatusCode)
	}
	form := url.Values{"status": {"503"}, "times": {"1"}}
	if resp, _ := do(t, "POST", srv.URL+"/_admin/inspector/faults", form, cookie); resp.StatusCode != 403 || len(testtb.Must(srv.Namespace(sandbox.DefaultNamespace).Ocean.Faults(context.Background()))) != 0 {
		t.Errorf("forged form: %d, faults %v", resp.StatusCode, testtb.Must(srv.Namespace(sandbox.DefaultNamespace).Ocean.Faults(context.Background())))
	}
	// A browser (it accepts HTML) gets a page saying what happened, with
	// the way back to the namespace's pages.
	browser := map[string]string{"Cookie": sandbox.TokenCookie + "=s3cret", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
	for path, back := range map[string]string{"/_admin/inspector/faults": `href="/"`, "/ns/x/_admin/inspector/faults": `href="/ns/x/"`} {
		resp, body := do(t, "POST", srv.URL+path, form, browser)
		if resp.StatusCode != 403 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "not sent by a page of this sandbox") || !strings.Contains(body, back) || len(testtb.Must(srv.Namespace(sandbox.DefaultNamespace).Ocean.Faults(context.Background()))) != 0 {
			t.Errorf("forged form from a browser at %s: %d %s\n%s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	form.Set("csrf", sandbox.CSRFToken("s3cret"))
	if resp, _ := do(t, "POST", srv.URL+"/_admin/inspector/faults", form, cookie); resp.StatusCode != 303 || len(testtb.Must(srv.Namespace(sandbox.DefaultNamespace).Ocean.Faults(context.Background()))) != 1 {
		t.Errorf("form with csrf: %d, faults %v", resp.StatusCode, testtb.Must(srv.Namespace(sandbox.DefaultNamespace).Ocean.Faults(context.Background())))
	}
	resp, _ = do(t, "POST", srv.URL+"/logout", url.Values{}, cookie)
	if len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
		t.Errorf("logout: %v", resp.Cookies())
	}
}

// TestStreamRateBound: a batch carries at most 250 requests (5,000 a
// second); beyond, a gap event says which were skipped.
func TestStreamRateBound(t *testing.T) {
	vc := clock.NewVirtual(clock.Epoch)
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.Clock, c.SummaryEvery = vc, -1 })
	events, comments := stream(t, srv.URL+"/_admin/stream", nil)
	<-comments
	for i := range 600 {
		do(t, "GET", fmt.Sprintf("%s%sr%d", srv.URL, okQuery, i), nil, nil)
	}
	deadline := time.Now().Add(5 * time.Second)
	for vc.Pending() < 2 && time.Now().Before(deadline) { // the keep-alive and the batch
		time.Sleep(time.Millisecond)
	}
	vc.Advance(50 * time.Millisecond)
	if e := next(t, events); e.name != "gap" || e.data != `{"after":0,"journal":"ocean","resume":350}` {
		t.Fatalf("first event: %+v", e)
	}
	if e := next(t, events); e.id != "351.0" {
		t.Fatalf("after the gap: %+v", e)
	}
}
