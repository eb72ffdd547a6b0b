package inspector_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/sandbox/sandboxtest"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the README's screenshots (docs/inspector-*.png) from the browser test")

// browser starts Debian's chromium, headless, with chromedp's default
// flags (no background networking, component updates or sync) and
// --no-sandbox (the tests run as root). It fails, not skips, without one;
// go test -short skips it, as it does the tests that need a real Redis.
func browser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("needs chromium: skipped with -short (make test runs it)")
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("the browser test needs a browser: install Debian's chromium: apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless,
		chromedp.WindowSize(1280, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil { // starts the browser: no timeout on this one
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// run runs steps in the browser, 30 seconds at most.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs an action that returns a value, 30 seconds at most.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// live waits until the page's stream is open.
func live() chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`document.getElementById("live-status").textContent.includes("live")`, chromedp.WithPollingTimeout(10*time.Second))
}

func get(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !*updateScreenshots {
		return
	}
	time.Sleep(2500 * time.Millisecond) // the new rows' highlight fades
	png := value(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join("..", "docs", name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote docs/%s (%d bytes)", name, len(png))
}

// TestBrowser drives the pages in chromium against a sandbox on
// 127.0.0.1: a conversion appears live, the filter, the detail page, a
// fault added through the form, a fired event's timeline of three
// attempts against a receiver that answers 503, 503, OK.
func TestBrowser(t *testing.T) {
	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("OK"))
	}))
	t.Cleanup(receiver.Close)
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.TimeScale = 600 })
	ctx := browser(t)

	// 1. A conversion appears without a reload.
	run(t, ctx, "open /ocean", chromedp.Navigate(srv.URL+"/ocean"), chromedp.WaitVisible(`#ocean-rows`),
		live(), chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	for i, q := range []string{okQuery + "o1", okQuery + "o2", "/track/activate/?callback=abc&event_type=0&outer_event_id=o3", okQuery + "o1"} {
		if c := get(t, srv.URL+q); c != 200 {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	run(t, ctx, "live row", chromedp.WaitVisible(`#ocean-rows tr[data-seq="4"]`))
	still := value(t, ctx, "no reload", chromedp.Evaluate[bool](`window.notReloaded === true`))
	if !still {
		t.Fatal("the page reloaded")
	}
	first := value(t, ctx, "newest first", chromedp.Text(`#ocean-rows tbody tr:first-child td:nth-child(3)`))
	if !strings.HasPrefix(first, "40004") {
		t.Errorf("newest row: %q, want the duplicate 40004", first)
	}
	screenshot(t, ctx, "inspector-ocean.png")

	// 2. Filter by code, through the form; the stream honours it.
	run(t, ctx, "filter", chromedp.SetValue(`#f-code`, "40002"), chromedp.Submit(`#f-code`),
		chromedp.WaitVisible(`#ocean-rows tr[data-seq="3"]`), live())
	get(t, srv.URL+okQuery+"o5")                                                   // 0: filtered out
	get(t, srv.URL+"/track/activate/?callback=abc&event_type=0&outer_event_id=o6") // 40002
	run(t, ctx, "filtered rows", chromedp.WaitVisible(`#ocean-rows tr[data-seq="6"]`))
	seqs := value(t, ctx, "rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#ocean-rows tbody tr")].map(r => r.dataset.seq)`))
	if strings.Join(seqs, ",") != "6,3" {
		t.Errorf("rows with code 40002: %v, want 6,3", seqs)
	}

	// 3. The detail page.
	run(t, ctx, "detail", chromedp.Click(`#ocean-rows tr[data-seq="3"] a`), chromedp.WaitVisible(`#h-raw`))
	detail := value(t, ctx, "detail text", chromedp.Text(`main`))
	for _, want := range []string{"Request 3", "Decided by", "device info", "outer_event_id=o3", "Decoded parameters"} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail page lacks %q", want)
		}
	}

	// 4. A fault rule added through the form fails the next request.
	run(t, ctx, "fault form", chromedp.Navigate(srv.URL+"/ocean"), chromedp.SetValue(`#fa-status`, "503"),
		chromedp.SetValue(`#fa-times`, "1"), chromedp.Submit(`#fault-form`), chromedp.WaitVisible(`.flash`))
	if c := get(t, srv.URL+okQuery+"o7"); c != http.StatusServiceUnavailable {
		t.Errorf("request after the fault rule: %d, want 503", c)
	}
	if c := get(t, srv.URL+okQuery+"o8"); c != 200 {
		t.Errorf("request after the rule ran out: %d", c)
	}

	// 5. A postback configured and an event fired through the forms: the
	// timeline shows three attempts, 503, 503, delivered.
	run(t, ctx, "postback form", chromedp.Navigate(srv.URL+"/impact"),
		chromedp.SetValue(`#pb-event`, "action_lifecycle"), chromedp.SetValue(`#pb-url`, receiver.URL+"/pb?aid={ActionId"),
		chromedp.SetValue(`#pb-method`, "GET"), chromedp.SetValue(`#pb-format`, "none"), chromedp.Submit(`#postback-form`),
		chromedp.WaitVisible(`#form-error mark`))
	run(t, ctx, "postback form, fixed", chromedp.SetValue(`#pb-url`, receiver.URL+"/pb?aid={ActionId}"),
		chromedp.Submit(`#postback-form`), chromedp.WaitVisible(`.flash`))
	run(t, ctx, "fire", chromedp.SetValue(`#fi-event`, "action_lifecycle"), chromedp.SetValue(`#fi-seed`, "7"),
		chromedp.Submit(`#fire-form`), chromedp.WaitVisible(`#timeline`),
		chromedp.WaitVisible(`#timeline[data-attempts="3"]`))
	rows := value(t, ctx, "attempts", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#attempts tbody tr")].map(r => r.cells[4].textContent.trim() + " " + r.cells[5].textContent.trim())`))
	if got := strings.Join(rows, ", "); got != "http_error 503, http_error 503, delivered 200" {
		t.Errorf("attempts: %s", got)
	}
	marks := value(t, ctx, "marks", chromedp.Evaluate[int](`document.querySelectorAll("#timeline circle.mark").length + 100*document.querySelectorAll("#timeline circle.slot").length`))
	if marks != 1603 {
		t.Errorf("timeline: %d attempt marks and %d documented slots, want 3 and 16", marks%100, marks/100)
	}
	screenshot(t, ctx, "inspector-timeline.png")
}

// TestBrowserLogin: with a token the browser sees the login form, logs
// in, and a form posted without the CSRF token is refused.
func TestBrowserLogin(t *testing.T) {
	srv := sandboxtest.NewServer(t, func(c *sandbox.Config) { c.AdminToken = "s3cret" })
	ctx := browser(t)
	run(t, ctx, "stranger", chromedp.Navigate(srv.URL+"/ocean"), chromedp.WaitVisible(`#token`))
	h1 := value(t, ctx, "h1", chromedp.Text(`h1`))
	if h1 != "Log in" {
		t.Fatalf("stranger sees %q", h1)
	}
	run(t, ctx, "login", chromedp.SetValue(`#token`, "s3cret"), chromedp.Submit(`#token`),
		chromedp.WaitVisible(`#h-ocean`))
	h1 = value(t, ctx, "h1", chromedp.Text(`h1`))
	if h1 != "Overview" {
		t.Fatalf("after login: %q", h1)
	}
	cookieVisible := value(t, ctx, "cookie", chromedp.Evaluate[bool](`document.cookie.includes("postbacksim_token")`))
	forged := value(t, ctx, "forged form", chromedp.Evaluate[int](`fetch("/_admin/inspector/faults", {method: "POST", redirect: "manual", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "status=503"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	genuine := value(t, ctx, "genuine form", chromedp.Evaluate[int](fmt.Sprintf(`fetch("/_admin/inspector/faults", {method: "POST", redirect: "manual", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "status=503&csrf=%s"}).then(r => r.type === "opaqueredirect" ? 303 : r.status)`, sandbox.CSRFToken("s3cret")), chromedp.EvalAwaitPromise))
	if cookieVisible {
		t.Error("the token cookie is visible to scripts (want HttpOnly)")
	}
	if forged != http.StatusForbidden || genuine != http.StatusSeeOther || len(testtb.Must(srv.Namespace(sandbox.DefaultNamespace).Ocean.Faults(context.Background()))) != 1 {
		t.Errorf("form without csrf: %d (want 403); with: %d (want 303); rules %d (want 1)", forged, genuine, len(testtb.Must(srv.Namespace(sandbox.DefaultNamespace).Ocean.Faults(context.Background()))))
	}
	run(t, ctx, "logout", chromedp.Click(`.logout button`), chromedp.WaitVisible(`#token`))
}

// TestBrowserFiltersByAPI: /ocean?api=v2 lists the v2 requests, and
// adds the new ones live while the legacy ones stay out.
func TestBrowserFiltersByAPI(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	ctx := browser(t)
	postV2 := func(event, outer string) {
		t.Helper()
		body := `{"event_type":"` + event + `","context":{"ad":{"callback":"abc"}},"timestamp":1764988800123,"outer_event_id":"` + outer + `"}`
		resp, err := http.Post(srv.URL+mockocean.V2Path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get(t, srv.URL+okQuery+"t1")
	postV2("form", "v1")
	run(t, ctx, "open /ocean?api=v2", chromedp.Navigate(srv.URL+"/ocean?api=v2"), chromedp.WaitVisible(`#ocean-rows tr[data-seq="2"]`), live())
	get(t, srv.URL+okQuery+"t2") // 3: filtered out
	postV2("active_pay", "v2")   // 4
	run(t, ctx, "live v2 row", chromedp.WaitVisible(`#ocean-rows tr[data-seq="4"]`))
	rows := value(t, ctx, "rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#ocean-rows tbody tr")].map(r => r.dataset.seq + " " + r.cells[3].textContent.trim())`))
	if got := strings.Join(rows, ", "); got != "4 v2 active_pay, 2 v2 form" {
		t.Errorf("rows with api=v2: %s; want 4 v2 active_pay, 2 v2 form", got)
	}
	if sel := value(t, ctx, "api select", chromedp.Evaluate[string](`document.getElementById("f-api").value`)); sel != "v2" {
		t.Errorf("the API filter shows %q, want v2", sel)
	}
}

// TestBrowserMarksWarnedRequests: a request accepted with a warning gets
// a "warned" badge and its warning in the "why" column, rendered and
// live; the Warnings filter keeps only those, on the page and in the
// stream.
func TestBrowserMarksWarnedRequests(t *testing.T) {
	srv := sandboxtest.NewServer(t)
	ctx := browser(t)
	get(t, srv.URL+okQuery+"w1&os=ios") // 1: warned (os as a word)
	get(t, srv.URL+okQuery+"c1")        // 2: clean
	run(t, ctx, "open /ocean", chromedp.Navigate(srv.URL+"/ocean"), chromedp.WaitVisible(`#ocean-rows tr[data-seq="2"]`), live())
	warned := value(t, ctx, "badges", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#ocean-rows tbody tr")].filter(r => r.querySelector(".b-warned")).map(r => r.dataset.seq + " " + r.cells[6].textContent.trim())`))
	if len(warned) != 1 || !strings.HasPrefix(warned[0], "1 os ") {
		t.Errorf("warned rows: %q; want request 1 with its warning in the why column", warned)
	}
	run(t, ctx, "open /ocean?warned=true", chromedp.Navigate(srv.URL+"/ocean?warned=true"), chromedp.WaitVisible(`#ocean-rows tr[data-seq="1"]`), live())
	get(t, srv.URL+okQuery+"c2")        // 3: filtered out
	get(t, srv.URL+okQuery+"w2&os=ios") // 4: shown, live
	run(t, ctx, "live warned row", chromedp.WaitVisible(`#ocean-rows tr[data-seq="4"] .b-warned`))
	rows := value(t, ctx, "rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#ocean-rows tbody tr")].map(r => r.dataset.seq)`))
	if got := strings.Join(rows, ","); got != "4,1" {
		t.Errorf("rows with warned=true: %s; want 4,1", got)
	}
}
