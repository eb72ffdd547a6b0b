package mockocean_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
)

// advertiser is a small reference advertiser: its monitoring endpoint
// stores each click's callback and device, and it later uploads
// conversions for some of them.
type advertiser struct {
	mu     sync.Mutex
	clicks []storedClick
}

type storedClick struct {
	callback, os, idfa, imei, ts string
}

func (a *advertiser) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("cb") == "" {
		http.Error(w, "no callback", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.clicks = append(a.clicks, storedClick{callback: q.Get("cb"), os: q.Get("os"), idfa: q.Get("idfa"), imei: q.Get("imei"), ts: q.Get("ts")})
	a.mu.Unlock()
	w.Write([]byte("ok"))
}

// convert uploads a conversion for click c, as a real uploader would.
func (a *advertiser) convert(t *testing.T, activateURL string, c storedClick, eventType int) {
	t.Helper()
	v := url.Values{"callback": {c.callback}, "event_type": {strconv.Itoa(eventType)}, "os": {c.os}}
	if c.os == "1" {
		v.Set("idfa", c.idfa)
		v.Set("muid", c.idfa)
	} else {
		v.Set("imei", c.imei)
		v.Set("muid", c.imei)
	}
	_, body := get(t, activateURL+"?"+v.Encode())
	if !strings.Contains(body, `"code":0`) {
		t.Fatalf("conversion rejected: %s", body)
	}
}

func TestAttributionEndToEnd(t *testing.T) {
	srv := oceantest.NewServer(t)
	adv := &advertiser{}
	monitor := httptest.NewServer(adv)
	defer monitor.Close()

	rep, err := srv.SendClicks(context.Background(), mockocean.ClickOptions{
		MonitorURL: monitor.URL + "/monitor?cb=__CALLBACK_PARAM__&os=__OS__&idfa=__IDFA__&imei=__IMEI__&ts=__TS__",
		Count:      20, Seed: 11,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 20 || rep.ByStatus[200] != 20 || len(adv.clicks) != 20 {
		t.Fatalf("report %s; advertiser stored %d", rep, len(adv.clicks))
	}
	sent := srv.Clicks()
	// Convert every third click.
	want := map[uint64]bool{}
	for i, c := range adv.clicks {
		if i%3 == 0 {
			adv.convert(t, srv.ActivateURL, c, 2)
			want[sent[i].Click.ClickID] = true
		}
	}
	// And one conversion whose callback the emulator never issued.
	adv.convert(t, srv.ActivateURL, storedClick{callback: "EJiw267wvfQCGKf2g74ZIPD89", os: "1", idfa: "X"}, 2)

	got := map[uint64]bool{}
	unattributed := 0
	for _, r := range srv.Requests() {
		a := r.Attribution
		if a == nil || !a.Attributed {
			unattributed++
			continue
		}
		got[a.Click.ClickID] = true
		var click *mockocean.SentClick
		for i := range sent {
			if sent[i].Callback == r.Params["callback"] {
				click = &sent[i]
			}
		}
		if click == nil || click.Click.ClickID != a.Click.ClickID || click.Click.RequestID != a.Click.RequestID || a.Click.AdID != click.Click.AdID {
			t.Fatalf("conversion %s attributed to the wrong click %+v", r.Params["callback"], a.Click)
		}
		if a.MatchType != 0 || a.SinceClick < 0 || a.SinceClick > time.Minute {
			t.Fatalf("match type %d, %v since click", a.MatchType, a.SinceClick)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" || unattributed != 1 {
		t.Fatalf("attributed clicks (-want +got):\n%s\n%d unattributed", diff, unattributed)
	}
}

func TestStrictAttributionRejectsUnknownCallbacks(t *testing.T) {
	srv := oceantest.NewServer(t, func(c *mockocean.Config) { c.StrictAttribution, c.CallbackKey = true, []byte("k") })
	adv := &advertiser{}
	monitor := httptest.NewServer(adv)
	defer monitor.Close()
	if _, err := srv.SendClicks(context.Background(), mockocean.ClickOptions{MonitorURL: monitor.URL + "/m?cb=__CALLBACK_PARAM__", Count: 1, Impressions: true}); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, srv.ActivateURL+"?event_type=0&idfa=x&callback="+url.QueryEscape(adv.clicks[0].callback))
	if !strings.Contains(body, `"code":0`) {
		t.Fatalf("issued callback: %s", body)
	}
	if a := srv.Requests()[0].Attribution; !a.Attributed || a.MatchType != 1 || !a.Click.Impression {
		t.Fatalf("impression attribution %+v", a)
	}
	other := mockocean.NewIssuer([]byte("other")).Issue(*srv.Requests()[0].Attribution.Click)
	_, body = get(t, srv.ActivateURL+"?event_type=0&idfa=x&callback="+url.QueryEscape(other))
	if body != `{"code":40011,"ret":40011,"msg":"callback is invalid"}` {
		t.Fatalf("forged callback: %s", body)
	}
}

func TestSendClicksErrors(t *testing.T) {
	srv := oceantest.NewServer(t)
	for o, want := range map[*mockocean.ClickOptions]string{
		{MonitorURL: "https://adv.example/m?x=__NOPE__", Count: 1}: "unknown macro __NOPE__",
		{MonitorURL: "adv.example/m", Count: 1}:                    "want http or https",
		{MonitorURL: "https://adv.example/m", Count: 0}:            "count 0",
		{MonitorURL: "https://adv.example/m", Count: 1, Rate: -1}:  "rate -1",
	} {
		if _, err := srv.SendClicks(context.Background(), *o); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want %q", o, err, want)
		}
	}
	// An unreachable endpoint: every click is counted as failed, none lost.
	down := httptest.NewServer(http.NotFoundHandler())
	addr := down.URL
	down.Close()
	rep, err := srv.SendClicks(context.Background(), mockocean.ClickOptions{MonitorURL: addr + "/m", Count: 3})
	if err != nil || rep.Sent != 3 || rep.Failed != 3 || rep.Errors["connection refused"] != 3 {
		t.Fatalf("%v %s", err, rep)
	}
	if !strings.Contains(rep.String(), "3 failed (3× connection refused)") {
		t.Fatalf("summary %q", rep.String())
	}
	if n := len(srv.Clicks()); n != 3 || srv.Clicks()[0].Error == "" {
		t.Fatalf("%d journaled", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSendClicksRate paces clicks on the real clock inside a synctest
// bubble (no sockets: an in-memory transport), so 1.9 s pass instantly.
func TestSendClicksRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Time
		client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			times = append(times, time.Now())
			return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
		})}
		srv := mockocean.New(mockocean.Config{})
		start := time.Now()
		rep, err := srv.SendClicks(context.Background(), mockocean.ClickOptions{MonitorURL: "https://adv.example/m", Count: 20, Rate: 10, Client: client})
		if err != nil || rep.ByStatus[204] != 20 {
			t.Fatalf("%v %s", err, rep)
		}
		if got := times[19].Sub(start); got != 1900*time.Millisecond {
			t.Fatalf("20 clicks at 10/s took %v", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 450*time.Millisecond)
		defer cancel()
		rep, err = srv.SendClicks(ctx, mockocean.ClickOptions{MonitorURL: "https://adv.example/m", Count: 100, Rate: 10, Client: client})
		if err == nil || rep.Sent != 5 {
			t.Fatalf("stopped early: %v, %d sent", err, rep.Sent)
		}
	})
}

func TestAdminClicks(t *testing.T) {
	srv := oceantest.NewServer(t)
	adv := &advertiser{}
	monitor := httptest.NewServer(adv)
	defer monitor.Close()
	admin := srv.URL + mockocean.AdminPrefix
	s, b := do(t, "POST", admin+"/clicks", "application/json",
		`{"monitor_url":"`+monitor.URL+`/m?cb=__CALLBACK_PARAM__&url=__CALLBACK_URL__","count":3,"seed":4}`)
	if s != 200 || !strings.Contains(b, `"summary": "3 sent, 3 answered, 3× HTTP 200"`) {
		t.Fatalf("%d %s", s, b)
	}
	// __CALLBACK_URL__ points back at this server, and works as is.
	sent := srv.Clicks()
	u, _ := url.Parse(sent[0].URL)
	cbURL := u.Query().Get("url")
	if !strings.HasPrefix(cbURL, srv.ActivateURL+"?callback=") {
		t.Fatalf("callback URL %q", cbURL)
	}
	if _, body := get(t, cbURL+"&idfa=x&event_type=0"); !strings.Contains(body, `"code":0`) {
		t.Fatalf("conversion through __CALLBACK_URL__: %s", body)
	}
	if a := srv.Requests()[0].Attribution; a == nil || !a.Attributed || a.Click.ClickID != sent[0].Click.ClickID {
		t.Fatalf("attribution %+v", a)
	}
	for body, want := range map[string]string{
		`{"monitor_url":"https://a.example/?x=__BAD__","count":1}`: "unknown macro __BAD__",
		`{"monitor_url":"https://a.example/","count":20000}`:       "field count: 20000 is over 10000",
		`{"monitor_url":"https://a.example/","count":"2"}`:         "field count: got JSON string",
	} {
		if s, b := do(t, "POST", admin+"/clicks", "application/json", body); s != 400 || !strings.Contains(b, want) {
			t.Errorf("%s: %d %s", body, s, b)
		}
	}
	if s, b := get(t, admin+"/clicks"); s != 200 || strings.Count(b, `"callback"`) != 3 {
		t.Fatalf("GET clicks: %d", s)
	}
}

// TestPlaysAttributedAsMatchType2: the click side sends valid plays (admin
// endpoint, kind play); a conversion sent back without match_type is
// attributed with match_type 2, and the kinds are checked.
func TestPlaysAttributedAsMatchType2(t *testing.T) {
	srv := oceantest.NewServer(t)
	adv := &advertiser{}
	monitor := httptest.NewServer(adv)
	defer monitor.Close()
	admin := srv.URL + mockocean.AdminPrefix
	if s, b := do(t, "POST", admin+"/clicks", "application/json",
		`{"monitor_url":"`+monitor.URL+`/m?cb=__CALLBACK_PARAM__&os=__OS__&idfa=__IDFA__&imei=__IMEI__","count":2,"kind":"play"}`); s != 200 {
		t.Fatalf("%d %s", s, b)
	}
	sent := srv.Clicks()
	if len(sent) != 2 || !sent[0].Click.Play || sent[0].Click.Impression {
		t.Fatalf("sent %+v", sent)
	}
	adv.convert(t, srv.ActivateURL, adv.clicks[0], 2)
	a := srv.Requests()[0].Attribution
	if a == nil || !a.Attributed || a.MatchType != 2 || !a.Click.Play {
		t.Fatalf("attribution %+v", a)
	}
	for body, want := range map[string]string{
		`{"monitor_url":"https://a.example/","count":1,"kind":"view"}`:                    `view\": want click, impression or play`,
		`{"monitor_url":"https://a.example/","count":1,"kind":"play","impressions":true}`: "kind play and impressions: choose one",
	} {
		if s, b := do(t, "POST", admin+"/clicks", "application/json", body); s != 400 || !strings.Contains(b, want) {
			t.Errorf("%s: %d %s", body, s, b)
		}
	}
}
