package mockocean_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/mockocean/mocks"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
)

func get(t testing.TB, rawURL string) (int, string) {
	t.Helper()
	return getWith(t, http.DefaultClient, rawURL)
}

// getWith is get through client c (a TLS test server's, say).
func getWith(t testing.TB, c *http.Client, rawURL string) (int, string) {
	t.Helper()
	resp, err := c.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func do(t testing.TB, method, rawURL, ctype, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, rawURL, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func answer(t testing.TB, body string) mockocean.Answer {
	t.Helper()
	var a mockocean.Answer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return a
}

func TestQuickStart(t *testing.T) {
	srv := oceantest.NewServer(t)
	status, body := get(t, srv.ActivateURL+"?callback=abc&imei=0c2bd03c39f19845bf54ea0abafae70e&event_type=2&source=%E4%B8%AD%E6%96%87")
	if status != 200 || body != `{"code":0,"ret":0,"msg":"success"}` {
		t.Fatalf("got %d %s", status, body)
	}
	want := []mockocean.Request{{
		Method: "GET", Path: "/track/activate/", Status: 200, Answered: true, Code: 0, Msg: "success",
		Query:  "callback=abc&imei=0c2bd03c39f19845bf54ea0abafae70e&event_type=2&source=%E4%B8%AD%E6%96%87",
		Params: map[string]string{"callback": "abc", "imei": "0c2bd03c39f19845bf54ea0abafae70e", "event_type": "2", "source": "中文"},
		Conversion: &mockocean.Conversion{
			Callback: "abc", CallbackParam: "callback", IMEI: "0c2bd03c39f19845bf54ea0abafae70e",
			EventType: 2, EventName: "付费", Source: "中文",
		},
		Attribution: &mockocean.Attribution{Reason: "unattributed: the callback was not issued by this emulator"},
	}}
	if diff := cmp.Diff(want, srv.Requests(), oceantest.IgnoreVolatile); diff != "" {
		t.Fatalf("journal (-want +got):\n%s", diff)
	}
	if got := srv.Conversions(); len(got) != 1 || got[0].EventType != 2 {
		t.Fatalf("conversions: %+v", got)
	}
}

func TestMethodsAndPaths(t *testing.T) {
	srv := oceantest.NewServer(t)
	q := "?callback=c&idfa=i&event_type=0"
	for _, path := range []string{"/track/activate/", "/track/activate"} {
		if s, b := get(t, srv.URL+path+q); s != 200 || answer(t, b).Code != 0 {
			t.Errorf("GET %s: %d %s", path, s, b)
		}
	}
	for _, m := range []string{"PUT", "DELETE", "PATCH"} {
		s, b := do(t, m, srv.ActivateURL+q, "", "")
		if s != http.StatusMethodNotAllowed || !strings.Contains(b, `"error"`) {
			t.Errorf("%s: %d %s", m, s, b)
		}
	}
	s, b := get(t, srv.URL+"/nope")
	if s != 404 || !strings.Contains(b, `"error":"no such path: /nope"`) {
		t.Errorf("unknown path: %d %s", s, b)
	}
	s, b = do(t, "POST", srv.ActivateURL, "application/x-www-form-urlencoded", "callback="+strings.Repeat("a", 1<<20))
	if s != http.StatusRequestEntityTooLarge || !strings.Contains(b, "too large") {
		t.Errorf("2 MiB body: %d %.100s", s, b)
	}
	if last := srv.Requests(); last[len(last)-1].Status != 413 {
		t.Errorf("413 not journaled: %+v", last[len(last)-1])
	}
}

func TestEncodingsOverHTTP(t *testing.T) {
	srv := oceantest.NewServer(t)
	props := url.QueryEscape(`{"aaa":"bbb","中":"文"}`)
	cases := []struct{ name, method, ctype, query, body string }{
		{"GET", "GET", "", "callback=c&idfa=i&event_type=1&props=" + props, ""},
		{"form", "POST", "application/x-www-form-urlencoded", "", "callback=c&idfa=i&event_type=1&props=" + props},
		{"JSON", "POST", "application/json", "", `{"callback":"c","idfa":"i","event_type":1,"props":{"aaa":"bbb","中":"文"}}`},
	}
	for _, c := range cases {
		srv.ResetJournal()
		u := srv.ActivateURL
		if c.query != "" {
			u += "?" + c.query
		}
		s, b := do(t, c.method, u, c.ctype, c.body)
		if s != 200 || answer(t, b).Code != 0 {
			t.Fatalf("%s: %d %s", c.name, s, b)
		}
		conv := srv.Conversions()[0]
		if string(conv.Props) != `{"aaa":"bbb","中":"文"}` || conv.EventType != 1 {
			t.Errorf("%s: %+v props %s", c.name, conv, conv.Props)
		}
	}
}

// TestEveryCatalogAnswerOverHTTP checks that each code reaches the wire
// with its documented message and HTTP 200.
func TestEveryCatalogAnswerOverHTTP(t *testing.T) {
	v := mocks.NewCallbackVerifier(t)
	v.EXPECT().Verify("issued").Return(true).Maybe()
	v.EXPECT().Verify("forged").Return(false).Once()
	srv := oceantest.NewServer(t, oceantest.WithVerifier(v))
	reqs := map[int]string{
		0:     "callback=issued&idfa=i&event_type=0&outer_event_id=dup",
		40001: "idfa=i&event_type=0",
		40002: "callback=issued&event_type=0",
		40003: "callback=issued&idfa=i&event_type=0&outer_event_id=" + strings.Repeat("x", 201),
		40004: "callback=issued&idfa=i&event_type=0&outer_event_id=dup",
		40005: "callback=issued&idfa=i&event_type=8",
		40007: "callback=issued&idfa=i&event_type=0&conv_time=1.5",
		40008: "callback=issued&idfa=i&event_type=0&match_type=5",
		40009: "callback=issued&idfa=i&event_type=0&props=%5B%5D",
		40010: "callback=%zz",
		40011: "callback=forged&idfa=i&event_type=0",
		40012: "callback=issued&idfa=i&event_type=0&source=%D6%D0",
	}
	for _, r := range mockocean.Catalog() {
		q, ok := reqs[r.Code]
		if !ok {
			t.Errorf("no request for code %d", r.Code)
			continue
		}
		url, msg := srv.ActivateURL, r.Msg
		if r.Code == mockocean.CodeEncoding {
			msg = "params source is invalid"
		}
		s, b := get(t, url+"?"+q)
		want := fmt.Sprintf(`{"code":%d,"ret":%d,"msg":"%s"}`, r.Code, r.Code, msg)
		if s != 200 || b != want {
			t.Errorf("code %d: got %d %s, want 200 %s", r.Code, s, b, want)
		}
	}
}

func TestDedupSequential(t *testing.T) {
	srv := oceantest.NewServer(t)
	base := srv.ActivateURL + "?callback=c&idfa=i&outer_event_id=order-1"
	// A request that fails another check does not use up the id.
	if _, b := get(t, base+"&event_type=999"); answer(t, b).Code != 40005 {
		t.Fatalf("bad event_type: %s", b)
	}
	if _, b := get(t, base+"&event_type=2"); answer(t, b).Code != 0 {
		t.Fatalf("first: %s", b)
	}
	_, b := get(t, base+"&event_type=2")
	if a := answer(t, b); a.Code != 40004 || a.Msg != "重复的请求，系统已自动过滤" {
		t.Fatalf("second: %s", b)
	}
	// Without outer_event_id nothing is filtered.
	for range 2 {
		if _, b := get(t, srv.ActivateURL+"?callback=c&idfa=i&event_type=2"); answer(t, b).Code != 0 {
			t.Fatalf("no outer_event_id: %s", b)
		}
	}
	if got := len(srv.Conversions()); got != 3 {
		t.Fatalf("%d conversions, want 3", got)
	}
}

func TestDedupConcurrent(t *testing.T) {
	srv := oceantest.NewServer(t)
	const n = 64
	codes := make(chan int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, b := get(t, srv.ActivateURL+"?callback=c&idfa=i&event_type=0&outer_event_id=same")
			codes <- answer(t, b).Code
		}()
	}
	close(start)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if diff := cmp.Diff(map[int]int{0: 1, 40004: n - 1}, count); diff != "" {
		t.Fatalf("answers (-want +got):\n%s", diff)
	}
}

func TestDedupCapacityAndTTL(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	srv := oceantest.NewServer(t, func(c *mockocean.Config) { c.Clock, c.DedupCapacity, c.DedupTTL = vc, 3, time.Hour })
	send := func(id string) int {
		_, b := get(t, srv.ActivateURL+"?callback=c&idfa=i&event_type=0&outer_event_id="+id)
		return answer(t, b).Code
	}
	for _, id := range []string{"a", "b", "c", "d"} { // d evicts a
		if c := send(id); c != 0 {
			t.Fatalf("%s: %d", id, c)
		}
	}
	if c := send("a"); c != 0 {
		t.Fatalf("evicted id a came back as %d, want 0", c)
	} // a evicts b
	if c := send("c"); c != 40004 {
		t.Fatalf("c: %d, want 40004", c)
	}
	if st := srv.DedupStats(); st.Size != 3 || st.Evicted != 2 {
		t.Fatalf("stats %+v", st)
	}
	vc.Advance(time.Hour + time.Second)
	if c := send("c"); c != 0 {
		t.Fatalf("c after TTL: %d, want 0", c)
	}
	if st := srv.DedupStats(); st.Expired != 3 || st.Size != 1 {
		t.Fatalf("stats after TTL %+v", st)
	}
	srv.ResetDedup()
	if c := send("c"); c != 0 {
		t.Fatalf("c after reset: %d", c)
	}
}

// TestJournalKeepsEverythingUnderLoad: many clients, mixed answers;
// every request is journaled exactly once.
func TestJournalKeepsEverythingUnderLoad(t *testing.T) {
	srv := oceantest.NewServer(t)
	const clients, each = 32, 50
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := fixtures.NewOceanGen(int64(c + 1))
			for i := range each {
				p := g.ConversionParams(g.Callback(), g.Device(), 0, 1700000000)
				if i%5 == 0 {
					delete(p, "callback")
				}
				q := url.Values{}
				for k, v := range p {
					q.Set(k, v)
				}
				get(t, srv.ActivateURL+"?"+q.Encode())
			}
		}()
	}
	wg.Wait()
	reqs := srv.Requests()
	if len(reqs) != clients*each {
		t.Fatalf("journal holds %d requests, want %d", len(reqs), clients*each)
	}
	seen := map[uint64]bool{}
	var missing int
	for i, r := range reqs {
		if r.Seq != uint64(i+1) || seen[r.Seq] {
			t.Fatalf("entry %d has seq %d", i, r.Seq)
		}
		seen[r.Seq] = true
		if r.Code == 40001 {
			missing++
		}
	}
	if missing != clients*each/5 || len(srv.Conversions()) != clients*each*4/5 {
		t.Fatalf("%d rejected, %d accepted", missing, len(srv.Conversions()))
	}
}

func TestWaitForRequestsBlocks(t *testing.T) {
	srv := oceantest.NewServer(t)
	done := make(chan error, 1)
	go func() { done <- srv.WaitForRequests(context.Background(), 2) }()
	get(t, srv.ActivateURL+"?callback=c")
	select {
	case err := <-done:
		t.Fatalf("returned after 1 request: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	get(t, srv.ActivateURL+"?callback=c")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := srv.WaitForRequests(ctx, 3); err != context.DeadlineExceeded {
		t.Fatalf("wait for a 3rd: %v", err)
	}
}

func TestJournalCapacity(t *testing.T) {
	srv := oceantest.NewServer(t, func(c *mockocean.Config) { c.JournalCapacity = 3 })
	for i := range 5 {
		get(t, fmt.Sprintf("%s?callback=c%d&idfa=i", srv.ActivateURL, i))
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Params["callback"])
	}
	if diff := cmp.Diff([]string{"c2", "c3", "c4"}, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if st := srv.JournalStats(); st.Received != 5 || st.Evicted != 2 || st.Stored != 3 {
		t.Fatalf("%+v", st)
	}
	if err := srv.WaitForRequests(context.Background(), 5); err != nil {
		t.Fatal(err)
	}
}

// TestJournalByteBudget: large bodies evict the oldest requests to keep
// the journal within its byte budget, and the count says so; a request
// larger than the whole budget is still kept, alone.
func TestJournalByteBudget(t *testing.T) {
	const budget = 64 << 10
	srv := oceantest.NewServer(t, func(c *mockocean.Config) { c.JournalCapacity, c.JournalMaxBytes = 1000, budget })
	pad := strings.Repeat("x", 10<<10) // a 10 KiB props value
	post := func(i int, props string) {
		t.Helper()
		form := url.Values{"callback": {fmt.Sprintf("c%d", i)}, "idfa": {"i"}, "props": {props}}
		resp, err := http.PostForm(srv.ActivateURL, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i := range 20 {
		post(i, pad)
	}
	st := srv.JournalStats()
	if st.Received != 20 || st.Bytes > budget || st.MaxBytes != budget || st.Evicted != uint64(20-st.Stored) {
		t.Fatalf("%+v", st)
	}
	if st.Stored < 5 || st.Stored > 6 { // 64 KiB holds five or six requests of just over 10 KiB
		t.Fatalf("stored %d requests of 10 KiB in a 64 KiB budget", st.Stored)
	}
	reqs := srv.Requests()
	if last := reqs[len(reqs)-1].Params["callback"]; last != "c19" {
		t.Fatalf("newest kept is %s", last)
	}
	post(20, strings.Repeat("y", budget)) // larger than the budget on its own
	st = srv.JournalStats()
	if reqs := srv.Requests(); st.Stored != 1 || reqs[0].Params["callback"] != "c20" {
		t.Fatalf("after an oversized request: %+v", st)
	}
	srv.ResetJournal()
	if st := srv.JournalStats(); st.Bytes != 0 || st.Stored != 0 || st.Evicted != 0 {
		t.Fatalf("after reset: %+v", st)
	}
}

func TestWarningsInJournal(t *testing.T) {
	srv := oceantest.NewServer(t)
	get(t, srv.ActivateURL+"?callback=c&os=ios&muid=m&event_type=0&conv_time=1574835097000")
	r := srv.Requests()[0]
	if r.Code != 0 || len(r.Warnings) != 2 {
		t.Fatalf("%d %v", r.Code, r.Warnings)
	}
	strict := oceantest.NewServer(t, oceantest.WithStrict())
	_, b := get(t, strict.ActivateURL+"?callback=c&os=ios&muid=m&event_type=0")
	if a := answer(t, b); a.Code != mockocean.CodeDeviceInfo {
		t.Fatalf("strict: %s", b)
	}
	if d := strict.Requests()[0].Detail; !strings.HasPrefix(d, "strict mode: ") {
		t.Fatalf("strict detail %q", d)
	}
}

// TestTLSTestServer: the HTTPS test server answers a client that trusts
// its certificate, and refuses the TLS handshake to one that does not.
func TestTLSTestServer(t *testing.T) {
	srv := oceantest.NewTLSServer(t)
	if !strings.HasPrefix(srv.ActivateURL, "https://127.0.0.1:") {
		t.Fatalf("ActivateURL %s", srv.ActivateURL)
	}
	if _, body := getWith(t, srv.Client(), srv.ActivateURL+"?callback=c&idfa=i&event_type=2"); body != `{"code":0,"ret":0,"msg":"success"}` {
		t.Fatalf("answer %s", body)
	}
	if _, err := http.Get(srv.ActivateURL + "?callback=c&idfa=i"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a client without the certificate: %v", err)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Code != 0 {
		t.Fatalf("journal %+v", reqs)
	}
}

// TestRequestsSince: a reader that passes the last Seq it saw gets each
// request once, in order, also after evictions and a reset.
func TestRequestsSince(t *testing.T) {
	srv := oceantest.NewServer(t, func(c *mockocean.Config) { c.JournalCapacity = 3 })
	seqs := func(rs []mockocean.Request) []uint64 {
		out := []uint64{}
		for _, r := range rs {
			out = append(out, r.Seq)
		}
		return out
	}
	var seen []uint64
	last := uint64(0)
	for i := range 5 {
		get(t, srv.ActivateURL+"?callback=c&idfa=i&event_type="+strconv.Itoa(i%3))
		for _, r := range srv.RequestsSince(last) {
			seen, last = append(seen, r.Seq), r.Seq
		}
	}
	if diff := cmp.Diff([]uint64{1, 2, 3, 4, 5}, seen); diff != "" {
		t.Errorf("read one by one (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uint64{3, 4, 5}, seqs(srv.RequestsSince(0))); diff != "" {
		t.Errorf("since 0 after evictions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uint64{4, 5}, seqs(srv.RequestsSince(3))); diff != "" {
		t.Errorf("since 3 (-want +got):\n%s", diff)
	}
	if got := srv.RequestsSince(5); len(got) != 0 {
		t.Errorf("since the newest: %v", seqs(got))
	}
	srv.ResetJournal()
	get(t, srv.ActivateURL+"?callback=c&idfa=i&event_type=0")
	if diff := cmp.Diff([]uint64{1}, seqs(srv.RequestsSince(0))); diff != "" {
		t.Errorf("after reset (-want +got):\n%s", diff)
	}
}

// The journal keeps a POST's query string and body as received, so that
// the request can be sent again exactly (postbacksim ocean export).
func TestJournalKeepsRawQueryAndBody(t *testing.T) {
	srv := oceantest.NewServer(t)
	const body = `{"callback":"c","idfa":"i","event_type":2}`
	resp, err := http.Post(srv.ActivateURL+"?x=1", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Body != body || reqs[0].Query != "x=1" {
		t.Fatalf("journal: %+v; want body %s and query x=1", reqs, body)
	}
}
