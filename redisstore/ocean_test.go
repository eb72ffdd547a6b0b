package redisstore_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/loadgen"
	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/mockocean/oceantest"
	"github.com/postbacksim/postbacksim/redisstore"
)

// replicas starts two Servers ("replicas") sharing one Redis store, each
// behind its own HTTP server.
func replicas(t *testing.T, rs *redistest.Server, cfg mockocean.Config) (a, b *mockocean.Server, urlA, urlB string) {
	t.Helper()
	store, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "test:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	cfg.Store = store.Ocean("ns1")
	cfg.CallbackKey = []byte("shared key")
	a, b = mockocean.New(cfg), mockocean.New(cfg)
	sa, sb := httptest.NewServer(a), httptest.NewServer(b)
	t.Cleanup(sa.Close)
	t.Cleanup(sb.Close)
	return a, b, sa.URL, sb.URL
}

// storeAnswer is what /track/activate/ answered.
type storeAnswer struct {
	status int
	code   *int
	err    string
}

func getAnswer(t *testing.T, u string) storeAnswer {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Errorf("GET %s: %v", u, err)
		return storeAnswer{}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var j struct {
		Code  *int   `json:"code"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &j); err != nil {
		t.Errorf("GET %s: HTTP %d, body %q is not JSON: %v", u, resp.StatusCode, body, err)
	}
	return storeAnswer{resp.StatusCode, j.Code, j.Error}
}

// withID is a valid conversion URL on base with outer_event_id id.
func withID(base, id string) string {
	u, _ := url.Parse(fixtures.NewOceanGen(11).ConversionURLs(base+mockocean.ActivatePath, 1)[0])
	q := u.Query()
	q.Set("outer_event_id", id)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestReplicasAcceptAnIDOnce(t *testing.T) {
	rs := redistest.Start(t)
	a, b, urlA, urlB := replicas(t, rs, mockocean.Config{})
	const n = 1000
	codes := answersAtOnce(n, urlA, urlB, func(_ int, base string) int {
		ans := getAnswer(t, withID(base, "the-one-id"))
		if ans.status != http.StatusOK || ans.code == nil {
			return -ans.status
		}
		return *ans.code
	})
	if codes[mockocean.CodeSuccess] != 1 || codes[mockocean.CodeDuplicate] != n-1 {
		t.Fatalf("answers by code (negative: HTTP status without a code): %v; want one 0 and %d × 40004", codes, n-1)
	}
	// Each replica's journal holds the other's requests.
	for name, s := range map[string]*mockocean.Server{"a": a, "b": b} {
		reqs := testtb.Must(s.Requests(context.Background()))
		if len(reqs) != n {
			t.Fatalf("replica %s's journal holds %d requests, want %d", name, len(reqs), n)
		}
		ok := 0
		for i, r := range reqs {
			if r.Seq != uint64(i+1) {
				t.Fatalf("replica %s: request %d numbered %d", name, i, r.Seq)
			}
			if r.Code == mockocean.CodeSuccess && r.Conversion != nil && r.Conversion.OuterEventID == "the-one-id" {
				ok++
			}
		}
		if ok != 1 {
			t.Fatalf("replica %s's journal has %d accepted conversions, want 1", name, ok)
		}
		if got := testtb.Must(s.DedupStats(context.Background())).Size; got != 1 {
			t.Fatalf("replica %s: dedup size %d, want 1", name, got)
		}
	}
	if got := testtb.Must(b.RequestsSince(context.Background(), n-3)); len(got) != 3 || got[0].Seq != n-2 {
		t.Fatalf("RequestsSince(%d) on b: %d requests, first %+v", n-3, len(got), got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.WaitForRequests(ctx, n); err != nil {
		t.Fatal(err)
	}
}

func TestSharedJournalBounds(t *testing.T) {
	rs := redistest.Start(t)
	a, b, urlA, urlB := replicas(t, rs, mockocean.Config{JournalCapacity: 5})
	for i := range 12 {
		base := urlA
		if i%3 == 0 {
			base = urlB
		}
		if ans := getAnswer(t, withID(base, "id-"+string(rune('a'+i)))); ans.code == nil || *ans.code != 0 {
			t.Fatalf("request %d: %+v", i, ans)
		}
	}
	st := testtb.Must(a.JournalStats(context.Background()))
	if st.Stored != 5 || st.Received != 12 || st.Evicted != 7 {
		t.Fatalf("stats %+v; want 5 stored, 12 received, 7 evicted", st)
	}
	reqs := testtb.Must(b.Requests(context.Background()))
	if len(reqs) != 5 || reqs[0].Seq != 8 || reqs[4].Seq != 12 {
		t.Fatalf("journal %d requests from %d", len(reqs), reqs[0].Seq)
	}
	b.ResetJournal(context.Background())
	if st := testtb.Must(a.JournalStats(context.Background())); st.Stored != 0 || st.Received != 0 {
		t.Fatalf("after a reset on b, a's stats %+v", st)
	}
}

func TestSharedJournalByteBudget(t *testing.T) {
	rs := redistest.Start(t)
	a, _, urlA, _ := replicas(t, rs, mockocean.Config{JournalMaxBytes: 4000})
	for i := range 30 {
		getAnswer(t, withID(urlA, "b-"+strings.Repeat("x", i)))
	}
	st := testtb.Must(a.JournalStats(context.Background()))
	if st.Bytes > 4000 || st.Stored < 2 || uint64(st.Stored)+st.Evicted != 30 {
		t.Fatalf("stats %+v: want at most 4000 bytes, stored + evicted = 30", st)
	}
	var sum int64
	for _, r := range testtb.Must(a.Requests(context.Background())) {
		_ = r
		sum++
	}
	if sum != int64(st.Stored) {
		t.Fatalf("%d requests read, %d stored", sum, st.Stored)
	}
}

func TestFaultTimesCountedAcrossReplicas(t *testing.T) {
	rs := redistest.Start(t)
	a, b, urlA, urlB := replicas(t, rs, mockocean.Config{})
	f, err := a.InjectFault(context.Background(), mockocean.Fault{Times: 10, Status: http.StatusBadGateway})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.InjectFault(context.Background(), mockocean.Fault{ID: f.ID, Drop: true}); err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("the same id on the other replica: %v", err)
	}
	const n = 200
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		base := urlA
		if i%2 == 1 {
			base = urlB
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(withID(base, "fault-"+strings.Repeat("i", i%7)+string(rune('0'+i%10))+"-"+url.QueryEscape(time.Duration(i).String())))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[http.StatusBadGateway] != 10 || statuses[http.StatusOK] != n-10 {
		t.Fatalf("statuses %v; want 10 × 502 and %d × 200", statuses, n-10)
	}
	fs := testtb.Must(b.Faults(context.Background()))
	if len(fs) != 1 || fs[0].Hits != 10 || fs[0].ID != f.ID {
		t.Fatalf("faults on b: %+v", fs)
	}
	if !testtb.Must(b.RemoveFault(context.Background(), f.ID)) || len(testtb.Must(a.Faults(context.Background()))) != 0 {
		t.Fatalf("removing on b left %+v on a", testtb.Must(a.Faults(context.Background())))
	}
}

func TestRedisDownAnswers503AndRecovers(t *testing.T) {
	rs := redistest.Start(t)
	a, _, urlA, urlB := replicas(t, rs, mockocean.Config{})
	if ans := getAnswer(t, withID(urlA, "before")); ans.code == nil || *ans.code != 0 {
		t.Fatalf("before: %+v", ans)
	}
	rs.Stop()
	for i, base := range []string{urlA, urlB, urlA} {
		ans := getAnswer(t, withID(base, "during"))
		// The code is the HTTP status, never an Ocean answer: a client
		// that reads only the code sees a failure too.
		if ans.status != http.StatusServiceUnavailable || ans.code == nil || *ans.code != http.StatusServiceUnavailable || ans.err == "" {
			t.Fatalf("request %d with Redis stopped: HTTP %d, code %v, error %q; want 503 with a JSON error and code 503", i, ans.status, ans.code, ans.err)
		}
	}
	if err := a.Ready(context.Background()); err == nil {
		t.Fatal("Ready with Redis stopped: no error")
	}
	resp, err := http.Get(urlA + mockocean.AdminPrefix + "/requests")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("admin requests with Redis stopped: HTTP %d", resp.StatusCode)
	}
	rs.Restart() // empty: nothing on disk
	deadline := time.Now().Add(10 * time.Second)
	for {
		ans := getAnswer(t, withID(urlB, "during"))
		if ans.status == http.StatusOK {
			if ans.code == nil || *ans.code != 0 {
				t.Fatalf("after the restart: %+v; want code 0 (the 503s used up nothing)", ans)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 10s of Redis's restart: %+v", ans)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := a.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ans := getAnswer(t, withID(urlA, "during")); ans.code == nil || *ans.code != mockocean.CodeDuplicate {
		t.Fatalf("a duplicate after the restart: %+v", ans)
	}
}

// BenchmarkRedisStoreLoad loads /track/activate/ on the Redis store and
// on the memory store in the same run, alternating rounds of 20,000
// requests from 50 keep-alive clients over loopback, and reports both
// throughputs, p99s and their ratio; then what Redis holds (INFO memory
// used_memory) per remembered id and per journaled request.
//
//	go test ./mockocean -run '^$' -bench RedisStoreLoad -benchtime 3x
func BenchmarkRedisStoreLoad(b *testing.B) {
	rs := redistest.Start(b)
	store, err := redisstore.Open(redisstore.Options{URL: rs.URL()})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	const requests = 20_000
	paths := fixtures.NewOceanGen(11).ConversionURLs(mockocean.ActivatePath, requests)
	mem := httptest.NewServer(mockocean.New(mockocean.Config{JournalCapacity: 100_000}))
	defer mem.Close()
	red := httptest.NewServer(mockocean.New(mockocean.Config{JournalCapacity: 100_000, Store: store.Ocean("default")}))
	defer red.Close()
	c, err := loadgen.CompareServers(context.Background(), mem.URL, red.URL, b.N, loadgen.Config{Clients: 50, Requests: requests},
		func(round, i int) string { return paths[i] + "-" + strconv.Itoa(round) })
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(c.BareRPS, "memory-req/s")
	b.ReportMetric(c.RPS, "redis-req/s")
	b.ReportMetric(c.Ratio(), "redis/memory")
	b.ReportMetric(float64(c.BareP99.Microseconds())/1000, "memory-p99-ms")
	b.ReportMetric(float64(c.P99.Microseconds())/1000, "redis-p99-ms")

	// Memory: 100,000 ids alone, then 100,000 journaled requests alone.
	const n = 100_000
	srv := mockocean.New(mockocean.Config{JournalCapacity: 1, Store: store.Ocean("mem-ids")})
	before, _ := rs.UsedMemory()
	for i := range n {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", paths[i%requests]+"-m"+strconv.Itoa(i), nil))
	}
	after, _ := rs.UsedMemory()
	b.ReportMetric(float64(after-before)/n, "redis-bytes/id")
	srv = mockocean.New(mockocean.Config{JournalCapacity: n, Store: store.Ocean("mem-journal")})
	before = after
	for i := range n {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", strings.Replace(paths[i%requests], "outer_event_id=", "x=", 1), nil)) // no id: journal only
	}
	after, _ = rs.UsedMemory()
	st := testtb.Must(srv.JournalStats(context.Background()))
	b.ReportMetric(float64(after-before)/n, "redis-bytes/request")
	b.ReportMetric(float64(st.Bytes)/float64(st.Stored), "accounted-bytes/request")
}

// TestSharedDedupTTLAndCapacity: ids expire on the sandbox's clock (a
// virtual one here), and the earliest expiring go first at capacity, as
// in memory.
func TestSharedDedupTTLAndCapacity(t *testing.T) {
	rs := redistest.Start(t)
	vc := clock.NewVirtual(time.Unix(1_700_000_000, 0))
	a, b, urlA, urlB := replicas(t, rs, mockocean.Config{Clock: vc, DedupTTL: time.Hour, DedupCapacity: 3})
	code := func(base, id string) int {
		t.Helper()
		ans := getAnswer(t, withID(base, id))
		if ans.code == nil {
			t.Fatalf("%s: HTTP %d %s", id, ans.status, ans.err)
		}
		return *ans.code
	}
	if c := code(urlA, "x"); c != 0 {
		t.Fatalf("x first: %d", c)
	}
	vc.Advance(59 * time.Minute)
	if c := code(urlB, "x"); c != mockocean.CodeDuplicate {
		t.Fatalf("x after 59m: %d, want 40004", c)
	}
	vc.Advance(2 * time.Minute)
	if c := code(urlB, "x"); c != 0 {
		t.Fatalf("x after 61m: %d, want 0 (expired)", c)
	}
	for _, id := range []string{"y", "z", "w"} { // x, y, z, then w evicts x
		if c := code(urlA, id); c != 0 {
			t.Fatalf("%s: %d", id, c)
		}
	}
	if c := code(urlB, "x"); c != 0 {
		t.Fatalf("x after eviction: %d, want 0", c)
	}
	st := testtb.Must(a.DedupStats(context.Background()))
	if st.Size != 3 || st.Expired != 1 || st.Evicted != 2 || st.Capacity != 3 {
		t.Fatalf("stats %+v; want size 3, 1 expired, 2 evicted", st)
	}
	b.ResetDedup(context.Background())
	if c := code(urlA, "y"); c != 0 {
		t.Fatalf("y after a reset on b: %d, want 0", c)
	}
}

// TestWaitSeesAnotherReplicasRequests: WaitForRequests on one replica wakes
// for requests the other received.
func TestWaitSeesAnotherReplicasRequests(t *testing.T) {
	rs := redistest.Start(t)
	a, _, _, urlB := replicas(t, rs, mockocean.Config{})
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- a.WaitForRequests(ctx, 3)
	}()
	for i := range 3 {
		getAnswer(t, withID(urlB, "w"+strconv.Itoa(i)))
	}
	if err := <-done; err != nil {
		t.Fatalf("waiting on a for b's requests: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := a.WaitForRequests(ctx, 4); err == nil {
		t.Fatal("waiting for a 4th request that never came returned nil")
	}
}

// TestOneRoundTripARequestWithoutFaults: with no fault rule a request is
// journaled in one script (no separate look for rules); with one, the
// rule still answers and counts, on every replica.
func TestOneRoundTripARequestWithoutFaults(t *testing.T) {
	rs := redistest.Start(t)
	a, b, urlA, _ := replicas(t, rs, mockocean.Config{})
	if ans := getAnswer(t, withID(urlA, "x1")); ans.status != 200 || ans.code == nil || *ans.code != 0 {
		t.Fatalf("no rule: %+v", ans)
	}
	if _, err := b.InjectFault(context.Background(), mockocean.Fault{Status: 503, Times: 1}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(withID(urlA, "x2"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("a rule added on B answers on A: %d", resp.StatusCode)
	}
	if ans := getAnswer(t, withID(urlA, "x2")); ans.status != 200 || *ans.code != 0 {
		t.Fatalf("after the rule's one time, x2 was not used up by the fault: %+v", ans)
	}
	if n := len(testtb.Must(a.Requests(context.Background()))); n != 3 {
		t.Fatalf("journal holds %d requests, want 3", n)
	}
}

// evalCalls is how many scripts Redis has run.
func evalCalls(t *testing.T, rs *redistest.Server) int {
	t.Helper()
	info, err := rs.Do("INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, line := range strings.Split(info, "\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_evalsha:calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			total += n
		}
	}
	return total
}

// TestBatchesUnderLoadKeepTheBounds: concurrent requests go to Redis in batches
// (fewer scripts than requests), and a batch keeps every rule of one
// request at a time: each id accepted once, the journal numbered without
// gaps and trimmed to its count and byte bounds.
func TestBatchesUnderLoadKeepTheBounds(t *testing.T) {
	rs := redistest.Start(t)
	for _, bound := range []struct {
		name string
		cfg  mockocean.Config
	}{{"count", mockocean.Config{JournalCapacity: 7}}, {"bytes", mockocean.Config{JournalMaxBytes: 6000}}} {
		t.Run(bound.name, func(t *testing.T) {
			a, b, urlA, urlB := replicas(t, rs, bound.cfg)
			b.ResetJournal(context.Background())
			b.ResetDedup(context.Background())
			const n, ids = 400, 300 // ids 0..99 are sent twice
			before := evalCalls(t, rs)
			var mu sync.Mutex
			codes := map[int]int{}
			var wg sync.WaitGroup
			sem := make(chan struct{}, 50)
			for i := range n {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					base := urlA
					if i%2 == 1 {
						base = urlB
					}
					ans := getAnswer(t, withID(base, "load-"+strconv.Itoa(i%ids)))
					mu.Lock()
					defer mu.Unlock()
					if ans.code == nil {
						codes[-ans.status]++
					} else {
						codes[*ans.code]++
					}
				}()
			}
			wg.Wait()
			if calls := evalCalls(t, rs) - before; calls >= n {
				t.Errorf("%d scripts for %d concurrent requests: no batching", calls, n)
			}
			if codes[mockocean.CodeSuccess] != ids || codes[mockocean.CodeDuplicate] != n-ids {
				t.Fatalf("answers by code: %v; want %d × 0 and %d × 40004", codes, ids, n-ids)
			}
			st := testtb.Must(a.JournalStats(context.Background()))
			if st.Received != n || uint64(st.Stored)+st.Evicted != n || st.Stored < 1 {
				t.Fatalf("journal stats %+v; want %d received, stored + evicted = received", st, n)
			}
			if bound.cfg.JournalCapacity > 0 && st.Stored != bound.cfg.JournalCapacity {
				t.Fatalf("%d stored, want the capacity, %d", st.Stored, bound.cfg.JournalCapacity)
			}
			if bound.cfg.JournalMaxBytes > 0 && (st.Bytes > bound.cfg.JournalMaxBytes || st.Bytes <= 0) {
				t.Fatalf("%d bytes stored, want at most %d", st.Bytes, bound.cfg.JournalMaxBytes)
			}
			reqs := testtb.Must(b.Requests(context.Background()))
			if len(reqs) != st.Stored {
				t.Fatalf("%d requests read, %d stored", len(reqs), st.Stored)
			}
			for i, r := range reqs {
				if want := uint64(n - st.Stored + i + 1); r.Seq != want {
					t.Fatalf("request %d numbered %d, want %d", i, r.Seq, want)
				}
			}
			if got := testtb.Must(a.DedupStats(context.Background())).Size; got != ids {
				t.Fatalf("the filter holds %d ids, want %d", got, ids)
			}
		})
	}
}

// answersAtOnce runs send n times, 50 at a time, alternating between the
// replicas at urlA and urlB, and counts the codes it returns.
func answersAtOnce(n int, urlA, urlB string, send func(i int, base string) int) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	for i := range n {
		base := urlA
		if i%2 == 1 {
			base = urlB
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			code := send(i, base)
			mu.Lock()
			defer mu.Unlock()
			codes[code]++
		}()
	}
	wg.Wait()
	return codes
}

// TestV2RequestsSharedByReplicas: a v2 request journaled by one replica
// reads back whole on another (its API, signature, debug mode), and its
// outer_event_id is a duplicate there on either API.
func TestV2RequestsSharedByReplicas(t *testing.T) {
	rs := redistest.Start(t)
	_, b, urlA, urlB := replicas(t, rs, mockocean.Config{})
	body := `{"event_type":"active_pay","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000,"outer_event_id":"v2-shared"}`
	a, err := oceantest.PostV2(urlA+mockocean.V2Path, body, http.Header{"X-Signature": {"abc"}})
	if err != nil || a.Code != 0 || a.RequestID == "" {
		t.Fatalf("v2 on A: %+v %v", a, err)
	}
	if ans := getAnswer(t, withID(urlB, "v2-shared")); ans.code == nil || *ans.code != mockocean.CodeDuplicate {
		t.Fatalf("the same id on B's legacy API: %+v; want 40004", ans)
	}
	reqs := testtb.Must(b.Requests(context.Background()))
	got := reqs[0]
	if got.API != mockocean.APIV2 || got.Signature != "abc" || got.RequestID != a.RequestID || got.Conversion == nil ||
		got.Conversion.EventName != "active_pay" || got.Conversion.OuterEventID != "v2-shared" {
		t.Errorf("the v2 request read on B: %+v", got)
	}
}

// TestReplicasAcceptAnIDOnceAcrossAPIs: one outer_event_id sent at once
// to both replicas on both APIs is accepted exactly once; every other
// request gets its API's duplicate code.
func TestReplicasAcceptAnIDOnceAcrossAPIs(t *testing.T) {
	rs := redistest.Start(t)
	_, _, urlA, urlB := replicas(t, rs, mockocean.Config{})
	const n = 400
	body := `{"event_type":"active_pay","context":{"ad":{"callback":"cb"}},"timestamp":1764988800000,"outer_event_id":"one-id"}`
	codes := answersAtOnce(n, urlA, urlB, func(i int, base string) int {
		if i%4 < 2 {
			if ans := getAnswer(t, withID(base, "one-id")); ans.status == http.StatusOK && ans.code != nil {
				return *ans.code
			}
		} else if a, err := oceantest.PostV2(base+mockocean.V2Path, body, nil); err == nil {
			return a.Code
		}
		return -1
	})
	if codes[0] != 1 || codes[mockocean.CodeDuplicate]+codes[mockocean.V2CodeDuplicate] != n-1 || codes[mockocean.CodeDuplicate] < n/2-1 || codes[mockocean.V2CodeDuplicate] < n/2-1 {
		t.Fatalf("answers by code (-1: no code): %v; want one 0, the rest 40004 (legacy) and 41011 (v2)", codes)
	}
}
