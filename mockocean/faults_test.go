package mockocean_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
)

const okQuery = "?callback=c&idfa=i&event_type=0"

func TestFaultStatusTimes(t *testing.T) {
	srv := oceantest.NewServer(t)
	srv.InjectFault(mockocean.Fault{Status: 503, Times: 2})
	var got []int
	for range 3 {
		s, _ := get(t, srv.ActivateURL+okQuery)
		got = append(got, s)
	}
	if diff := cmp.Diff([]int{503, 503, 200}, got); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	reqs := srv.Requests()
	if reqs[0].Fault != "f1" || reqs[0].Status != 503 || reqs[2].Fault != "" || reqs[2].Code != 0 {
		t.Fatalf("journal %+v", reqs)
	}
	if f := srv.Faults()[0]; f.Hits != 2 {
		t.Fatalf("hits %d", f.Hits)
	}
}

// A faulted request does not use up its outer_event_id, so an uploader's
// retry succeeds.
func TestFaultThenRetrySucceeds(t *testing.T) {
	srv := oceantest.NewServer(t)
	srv.InjectFault(mockocean.Fault{Status: 500, Times: 1})
	u := srv.ActivateURL + okQuery + "&outer_event_id=e1"
	if s, _ := get(t, u); s != 500 {
		t.Fatalf("first: %d", s)
	}
	if _, b := get(t, u); answer(t, b).Code != 0 {
		t.Fatalf("retry: %s", b)
	}
}

func TestFaultMatchByParam(t *testing.T) {
	srv := oceantest.NewServer(t)
	srv.InjectFault(mockocean.Fault{Match: map[string]string{"event_type": "2"}, Code: 40002})
	if _, b := get(t, srv.ActivateURL+okQuery); answer(t, b).Code != 0 {
		t.Fatalf("event_type 0 was faulted: %s", b)
	}
	_, b := get(t, srv.ActivateURL+"?callback=c&idfa=i&event_type=2")
	if b != `{"code":40002,"ret":40002,"msg":"params muid is empty"}` {
		t.Fatalf("event_type 2: %s", b)
	}
}

func TestFaultMalformedAndCustomMsg(t *testing.T) {
	srv := oceantest.NewServer(t)
	srv.InjectFault(mockocean.Fault{Malformed: true, Times: 1})
	srv.InjectFault(mockocean.Fault{Code: 50000, Msg: "internal error", Times: 1})
	_, b := get(t, srv.ActivateURL+okQuery)
	if json.Valid([]byte(b)) {
		t.Fatalf("malformed answer is valid JSON: %s", b)
	}
	if _, b = get(t, srv.ActivateURL+okQuery); b != `{"code":50000,"ret":50000,"msg":"internal error"}` {
		t.Fatalf("custom: %s", b)
	}
}

func TestFaultDropConnection(t *testing.T) {
	srv := oceantest.NewServer(t)
	srv.InjectFault(mockocean.Fault{Drop: true, Times: 1})
	// A fresh connection, so the client cannot transparently retry.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, err := c.Get(srv.ActivateURL + okQuery)
	if err == nil {
		t.Fatal("dropped connection answered")
	}
	r := srv.Requests()[0]
	if r.Status != 0 || r.Fault != "f1" {
		t.Fatalf("journal %+v", r)
	}
}

func TestFaultProbabilityIsSeeded(t *testing.T) {
	pattern := func() []int {
		srv := mockocean.New(mockocean.Config{})
		srv.InjectFault(context.Background(), mockocean.Fault{Status: 502, Probability: 0.3, Seed: 99})
		var out []int
		for range 200 {
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, httptest.NewRequest("GET", "/track/activate/"+okQuery, nil))
			out = append(out, w.Code)
		}
		return out
	}
	a, b := pattern(), pattern()
	if !cmp.Equal(a, b) {
		t.Fatal("same seed, different fault pattern")
	}
	n := 0
	for _, s := range a {
		if s == 502 {
			n++
		}
	}
	if n < 40 || n > 80 {
		t.Fatalf("%d of 200 faulted at p=0.3", n)
	}
}

// TestFaultDelay runs the handler in a synctest bubble on the real clock:
// the delay is real code, but costs no wall time.
func TestFaultDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := mockocean.New(mockocean.Config{})
		srv.InjectFault(context.Background(), mockocean.Fault{Delay: clock.Duration(5 * time.Second), Times: 1})
		start := time.Now()
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", "/track/activate/"+okQuery, nil))
		if took := time.Since(start); took != 5*time.Second {
			t.Fatalf("delay took %v", took)
		}
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"code":0`) {
			t.Fatalf("after delay: %d %s", w.Code, w.Body)
		}
		// The client giving up during the delay is journaled too.
		srv.InjectFault(context.Background(), mockocean.Fault{Delay: clock.Duration(time.Minute)})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/track/activate/"+okQuery, nil).WithContext(ctx))
		reqs := testtb.Must(srv.Requests(context.Background()))
		if len(reqs) != 2 || !strings.Contains(reqs[1].Detail, "went away") {
			t.Fatalf("journal %+v", reqs)
		}
	})
}

func TestFaultDelayOnVirtualClock(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	srv := mockocean.New(mockocean.Config{Clock: vc})
	srv.InjectFault(context.Background(), mockocean.Fault{Delay: clock.Duration(time.Hour)})
	scheduled := vc.Scheduled()
	done := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", "/track/activate/"+okQuery, nil))
		done <- w.Code
	}()
	<-scheduled // the handler sleeps on the virtual clock
	vc.Advance(time.Hour)
	if code := <-done; code != 200 {
		t.Fatalf("status %d", code)
	}
}

func TestFaultValidation(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	bad := []mockocean.Fault{
		{},
		{Status: 503, Drop: true},
		{Status: 42},
		{Status: 500, Times: -1},
		{Status: 500, Probability: 1.5},
	}
	for _, f := range bad {
		if _, err := srv.InjectFault(context.Background(), f); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
	if _, err := srv.InjectFault(context.Background(), mockocean.Fault{ID: "x", Status: 500}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.InjectFault(context.Background(), mockocean.Fault{ID: "x", Status: 500}); err == nil {
		t.Error("duplicate id accepted")
	}
	// Each refusal names what is wrong.
	for _, c := range []struct {
		f    mockocean.Fault
		want string
	}{
		{mockocean.Fault{Msg: "x"}, "field msg"},
		{mockocean.Fault{Delay: clock.Duration(-time.Second)}, "field delay: -1s is negative"},
		{mockocean.Fault{Status: 503, Match: map[string]string{"evnt_type": "2"}}, `"evnt_type" is not a parameter (did you mean "event_type"?)`},
	} {
		if _, err := srv.InjectFault(context.Background(), c.f); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error containing %q", c.f, err, c.want)
		}
	}
	// A parameter of the partner's own matches as it is.
	if _, err := srv.InjectFault(context.Background(), mockocean.Fault{Status: 503, Match: map[string]string{"campaign": "spring", "event_type": "2"}}); err != nil {
		t.Errorf("own parameter refused: %v", err)
	}
}

func TestAdminEndpoints(t *testing.T) {
	srv := oceantest.NewServer(t)
	admin := srv.URL + mockocean.AdminPrefix

	s, b := do(t, "POST", admin+"/faults", "application/json", `{"status":503,"times":1,"delay":"10ms","match":{"event_type":"2"}}`)
	if s != 201 || !strings.Contains(b, `"id": "f1"`) || !strings.Contains(b, `"delay": "10ms"`) {
		t.Fatalf("POST fault: %d %s", s, b)
	}
	for body, want := range map[string]string{
		`{"status":"503"}`:            "field status",
		`{"stauts":503}`:              `unknown field "stauts"`,
		`{"status":503,"delay":"1x"}`: "field delay",
		`{"drop":true,"status":500}`:  "only one of",
		`not json`:                    "invalid JSON",
	} {
		s, b := do(t, "POST", admin+"/faults", "application/json", body)
		var e struct{ Error string }
		json.Unmarshal([]byte(b), &e)
		if s != 400 || !strings.Contains(e.Error, want) {
			t.Errorf("POST %s: %d %s, want 400 naming %q", body, s, b, want)
		}
	}

	get(t, srv.ActivateURL+"?callback=c&idfa=i&event_type=2") // faulted 503
	get(t, srv.ActivateURL+"?callback=c&idfa=i&event_type=2") // ok
	get(t, srv.ActivateURL+"?callback=c&event_type=1")        // 40002

	var page struct {
		Count    int                 `json:"count"`
		Requests []mockocean.Request `json:"requests"`
	}
	for query, want := range map[string]int{"": 3, "?code=0": 1, "?code=40002": 1, "?event_type=2": 2, "?event_type=1": 1, "?fault=f1": 1, "?limit=2": 2, "?since=1": 2, "?since=3": 0, "?since=1&code=0": 1, "?since=2&limit=5": 1} {
		s, b := get(t, admin+"/requests"+query)
		if err := json.Unmarshal([]byte(b), &page); s != 200 || err != nil || page.Count != want || len(page.Requests) != want {
			t.Errorf("GET requests%s: %d, count %d, want %d (%v)", query, s, page.Count, want, err)
		}
	}
	if s, b := get(t, admin+"/requests?code=abc"); s != 400 || !strings.Contains(b, "query parameter code") {
		t.Errorf("bad filter: %d %s", s, b)
	}
	if s, b := get(t, admin+"/requests?since=-1"); s != 400 || !strings.Contains(b, "query parameter since") {
		t.Errorf("bad since: %d %s", s, b)
	}
	if s, b := get(t, admin+"/conversions"); s != 200 || !strings.Contains(b, `"event_name": "付费"`) {
		t.Errorf("conversions: %d %s", s, b)
	}
	if s, b := get(t, admin+"/catalog"); s != 200 || !strings.Contains(b, "重复的请求") {
		t.Errorf("catalog: %d", s)
	}
	if s, _ := do(t, "DELETE", admin+"/faults/f1", "", ""); s != 204 {
		t.Errorf("DELETE fault: %d", s)
	}
	if s, _ := do(t, "DELETE", admin+"/faults/f1", "", ""); s != 404 {
		t.Errorf("DELETE missing fault: %d", s)
	}
	if s, _ := do(t, "DELETE", admin+"/requests", "", ""); s != 204 || len(srv.Requests()) != 0 {
		t.Errorf("DELETE requests: %d, %d left", s, len(srv.Requests()))
	}
	if s, b := get(t, admin+"/dedup"); s != 200 || !strings.Contains(b, `"capacity": 1000000`) {
		t.Errorf("dedup: %d %s", s, b)
	}
}

func TestDropClientSeesError(t *testing.T) {
	srv := oceantest.NewServer(t)
	srv.InjectFault(mockocean.Fault{Drop: true})
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(srv.ActivateURL + okQuery)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t.Fatal("no error")
	}
	if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("unexpected error %v", err)
	}
}
