package mockimpact_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/mock"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/impacttest"
	"github.com/postbacksim/postbacksim/mockimpact/mocks"
)

const pbURL = "https://brand.example/pb?aid={ActionId}"

func cfg(mods ...func(*mockimpact.Postback)) mockimpact.Postback {
	p := mockimpact.Postback{Event: "action_lifecycle", URL: pbURL, Method: "GET", Format: "none"}
	for _, m := range mods {
		m(&p)
	}
	return p
}

func steps(t *testing.T, list string) []mockimpact.Step {
	t.Helper()
	s, err := mockimpact.ParseSteps(list)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func secs(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// run fires one generated event against a script and returns its delivery.
func run(t *testing.T, p mockimpact.Postback, list string) (mockimpact.Delivery, *impacttest.Dispatcher) {
	t.Helper()
	td := impacttest.NewDispatcher(t, p, impacttest.WithScript(steps(t, list)...))
	td.FireGenerated(p.Event, 1)
	td.RunUntilIdle()
	return td.Only(), td
}

func TestDocumentedSchedule(t *testing.T) {
	d, _ := run(t, cfg(), "500")
	want := []float64{0, 15, 30, 45, 225, 405, 1305, 2205, 3105, 10305, 17505, 24705, 46305, 67905, 89505, 111105}
	if diff := cmp.Diff(want, secs(d.Offsets())); diff != "" {
		t.Fatalf("offsets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, secs(mockimpact.ScheduleOffsets())); diff != "" {
		t.Fatalf("ScheduleOffsets (-want +got):\n%s", diff)
	}
	if d.Outcome != mockimpact.DeliveryExhausted || len(d.Attempts) != 16 || mockimpact.MaxAttempts != 16 {
		t.Fatalf("outcome %s after %d attempts", d.Outcome, len(d.Attempts))
	}
	last := d.Attempts[15]
	if last.Retry || last.Next != nil || !d.Attempts[14].Retry {
		t.Fatalf("the 16th attempt must be the last: %+v", last)
	}
	if total := last.Offset; total != 30*time.Hour+51*time.Minute+45*time.Second {
		t.Fatalf("schedule spans %v", total)
	}
}

// TestClassification: one case per row of the outcome table (our decision:
// docs/platforms.md#d-impact-classification), first match wins.
func TestClassification(t *testing.T) {
	cases := []struct {
		name     string
		p        mockimpact.Postback
		list     string
		outcome  mockimpact.Outcome
		attempts int
	}{
		{"invalid URL: not retried", cfg(func(p *mockimpact.Postback) { p.URL = "https://brand.example/%zz/{ActionId}" }), "200", mockimpact.OutcomeInvalidURL, 1},
		{"DNS failure: not retried", cfg(), "dns", mockimpact.OutcomeDNSFailure, 1},
		{"refused: retried", cfg(), "refused", mockimpact.OutcomeNetworkError, 16},
		{"reset: retried", cfg(), "reset", mockimpact.OutcomeNetworkError, 16},
		{"timeout: retried", cfg(), "timeout", mockimpact.OutcomeNetworkError, 16},
		{"slow body: retried", cfg(), "slow_body", mockimpact.OutcomeNetworkError, 16},
		{"error text beats success", cfg(func(p *mockimpact.Postback) {
			p.Error, p.Success = must(mockimpact.ParseMatcher("ERROR")), must(mockimpact.ParseMatcher("200"))
		}), "200:ERROR", mockimpact.OutcomeErrorResponse, 16},
		{"error status beats http_error", cfg(func(p *mockimpact.Postback) { p.Error = must(mockimpact.ParseMatcher("500")) }), "500", mockimpact.OutcomeErrorResponse, 16},
		{"default success: any 2xx", cfg(), "204", mockimpact.OutcomeDelivered, 1},
		{"success text", cfg(func(p *mockimpact.Postback) { p.Success = must(mockimpact.ParseMatcher("OK")) }), "200: OK ", mockimpact.OutcomeDelivered, 1},
		{"success status only", cfg(func(p *mockimpact.Postback) { p.Success = must(mockimpact.ParseMatcher("202")) }), "202", mockimpact.OutcomeDelivered, 1},
		{"400 retried", cfg(), "400", mockimpact.OutcomeHTTPError, 16},
		{"599 retried", cfg(), "599", mockimpact.OutcomeHTTPError, 16},
		{"3xx unconfirmed", cfg(), "302", mockimpact.OutcomeUnconfirmed, 1},
		{"2xx without the success text", cfg(func(p *mockimpact.Postback) { p.Success = must(mockimpact.ParseMatcher("OK")) }), "200:accepted", mockimpact.OutcomeUnconfirmed, 1},
		{"success status, other 2xx", cfg(func(p *mockimpact.Postback) { p.Success = must(mockimpact.ParseMatcher("200")) }), "201", mockimpact.OutcomeUnconfirmed, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, td := run(t, c.p, c.list)
			if got := d.Attempts[0].Outcome; got != c.outcome || len(d.Attempts) != c.attempts {
				t.Fatalf("first attempt %s, %d attempts; want %s, %d", got, len(d.Attempts), c.outcome, c.attempts)
			}
			if c.outcome == mockimpact.OutcomeInvalidURL || c.outcome == mockimpact.OutcomeDNSFailure {
				if n := len(td.Script.Received()); n != 0 {
					t.Fatalf("%d requests reached the receiver; want none", n)
				}
			}
			if got, want := d.Attempts[0].Flagged, c.outcome == mockimpact.OutcomeUnconfirmed; got != want {
				t.Fatalf("flagged %v", got)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestReceiverRecoversMidway(t *testing.T) {
	d, td := run(t, cfg(), "500,503,200")
	if diff := cmp.Diff([]float64{0, 15, 30}, secs(d.Offsets())); diff != "" {
		t.Fatal(diff)
	}
	want := []mockimpact.Outcome{mockimpact.OutcomeHTTPError, mockimpact.OutcomeHTTPError, mockimpact.OutcomeDelivered}
	if diff := cmp.Diff(want, d.Outcomes()); diff != "" || d.Outcome != mockimpact.DeliveryDelivered {
		t.Fatalf("%s %s", d.Outcome, diff)
	}
	if got := len(td.Script.Received()); got != 3 {
		t.Fatalf("receiver got %d requests", got)
	}
}

// TestScriptForDelivery: one delivery plays its own steps, the others
// the script's.
func TestScriptForDelivery(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithScript(mockimpact.Step{Status: 200}))
	ids := []string{td.FireGenerated("action_lifecycle", 1), td.FireGenerated("action_lifecycle", 2), td.FireGenerated("action_lifecycle", 3)}
	td.Script.ForDelivery(ids[1], mockimpact.Step{Status: 500}, mockimpact.Step{Fault: mockimpact.FaultReset}, mockimpact.Step{})
	td.RunUntilIdle()
	got := map[string][]mockimpact.Outcome{}
	for _, d := range td.Deliveries() {
		got[d.ID] = d.Outcomes()
	}
	want := map[string][]mockimpact.Outcome{
		ids[0]: {mockimpact.OutcomeDelivered},
		ids[1]: {mockimpact.OutcomeHTTPError, mockimpact.OutcomeNetworkError, mockimpact.OutcomeDelivered},
		ids[2]: {mockimpact.OutcomeDelivered},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("outcomes by delivery (-want +got):\n%s", diff)
	}
}

// Each delay counts from when the previous outcome is known, so a
// timeout (30s by default) shifts every later attempt.
func TestTimeoutsShiftLaterOffsets(t *testing.T) {
	d, _ := run(t, cfg(), "timeout,500,timeout,200")
	if diff := cmp.Diff([]float64{0, 45, 60, 105}, secs(d.Offsets())); diff != "" {
		t.Fatalf("offsets (-want +got):\n%s", diff)
	}
	if d.Attempts[0].ErrorKind != mockimpact.ErrKindTimeout || d.Attempts[0].Latency != 30*time.Second {
		t.Fatalf("attempt 1: %+v", d.Attempts[0])
	}
	d, _ = run(t, cfg(func(p *mockimpact.Postback) { p.Timeout = clock.Duration(5 * time.Second) }), "timeout,200")
	if diff := cmp.Diff([]float64{0, 20}, secs(d.Offsets())); diff != "" {
		t.Fatalf("5s timeout: %s", diff)
	}
	// A slow answer under the timeout is not a timeout, but still costs time.
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithScript(mockimpact.Step{Status: 500, Delay: clock.Duration(10 * time.Second)}, mockimpact.Step{}))
	td.FireGenerated("action_lifecycle", 1)
	td.RunUntilIdle()
	if diff := cmp.Diff([]float64{0, 25}, secs(td.Only().Offsets())); diff != "" {
		t.Fatalf("slow 500: %s", diff)
	}
}

func TestMinDelay(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(func(p *mockimpact.Postback) { p.MinDelay = clock.Duration(90 * time.Second) }), impacttest.WithScript())
	td.FireGenerated("action_lifecycle", 1)
	td.Advance(89 * time.Second)
	if n := td.Stats().Attempts; n != 0 {
		t.Fatalf("%d attempts before the minimum delay", n)
	}
	td.RunUntilIdle()
	d := td.Only()
	if got := d.Attempts[0].Actual.Sub(d.Fired); got != 90*time.Second {
		t.Fatalf("first attempt %v after the event", got)
	}
}

// TestRateLimitSpreadsABurst: 10 events at once with max_rps 2 go out
// every 0.5s; scheduled stays at the fire time, actual is later, never
// earlier.
func TestRateLimitSpreadsABurst(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(func(p *mockimpact.Postback) { p.MaxRPS = 2 }), impacttest.WithScript())
	for i := range 10 {
		td.FireGenerated("action_lifecycle", int64(i+1))
	}
	td.RunUntilIdle()
	var actual []float64
	for _, d := range td.Deliveries() {
		a := d.Attempts[0]
		actual = append(actual, a.Actual.Sub(clock.Epoch).Seconds())
		if !a.Scheduled.Equal(clock.Epoch) || a.Actual.Before(a.Scheduled) || a.RateLimited != a.Actual.Sub(a.Scheduled) {
			t.Fatalf("attempt %+v", a)
		}
	}
	if diff := cmp.Diff([]float64{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5}, actual); diff != "" {
		t.Fatalf("send times (-want +got):\n%s", diff)
	}
}

// Retries count toward the rate limit too.
func TestRetriesCountTowardRateLimit(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(func(p *mockimpact.Postback) { p.MaxRPS = 0.05 }), impacttest.WithScript(steps(t, "500,200")...))
	td.FireGenerated("action_lifecycle", 1)
	td.FireGenerated("action_lifecycle", 2)
	td.RunUntilIdle()
	var got [][]float64
	for _, d := range td.Deliveries() {
		var at []float64
		for _, a := range d.Attempts {
			at = append(at, a.Actual.Sub(clock.Epoch).Seconds())
		}
		got = append(got, at)
	}
	// One request every 20s: d1 at 0, d2 at 20; d1's retry due at 15 waits for 40; d2's due at 35 waits for 60.
	if diff := cmp.Diff([][]float64{{0, 40}, {20, 60}}, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestCustomHeadersAndBodyArrive(t *testing.T) {
	p := mockimpact.Postback{
		Event: "tracking_value_request", URL: "https://brand.example/tv", Method: "POST",
		Headers: map[string]string{"Authorization": "Bearer t0k", "X-Action": "{ActionId}"},
	}
	td := impacttest.NewDispatcher(t, p, impacttest.WithScript())
	ev := fixtures.NewImpactGen(4, time.Time{}).TrackingValueRequest()
	td.Fire(ev)
	td.RunUntilIdle()
	got := td.Script.Received()
	if len(got) != 1 {
		t.Fatalf("%d received", len(got))
	}
	r := got[0]
	if r.Header.Get("Authorization") != "Bearer t0k" || r.Header.Get("X-Action") != ev.ActionId ||
		r.Header.Get("Content-Type") != "application/json" || !strings.Contains(r.Body, `"ActionId":"`+ev.ActionId+`"`) {
		t.Fatalf("received %+v", r)
	}
	if r.Attempt.N != 1 || r.Attempt.Event != "tracking_value_request" {
		t.Fatalf("attempt info %+v", r.Attempt)
	}
}

func TestDeterministic(t *testing.T) {
	once := func() []mockimpact.Delivery {
		td := impacttest.NewDispatcher(t, cfg(func(p *mockimpact.Postback) { p.MaxRPS = 3 }), impacttest.WithScript(steps(t, "500,timeout,reset,200:x,200")...))
		for i := range 20 {
			td.FireGenerated("action_lifecycle", int64(i))
		}
		td.RunUntilIdle()
		return td.Deliveries()
	}
	if diff := cmp.Diff(once(), once()); diff != "" {
		t.Fatalf("two runs differ:\n%s", diff)
	}
}

// TestMockedResolverFailsOneHost uses the mockery Resolver: DNS fails for
// one host only, so that delivery ends at once while the other succeeds.
func TestMockedResolverFailsOneHost(t *testing.T) {
	res := mocks.NewResolver(t)
	res.EXPECT().LookupHost(mock.Anything, "gone.example").Return(nil, &net.DNSError{Err: "no such host", Name: "gone.example", IsNotFound: true}).Once()
	res.EXPECT().LookupHost(mock.Anything, "brand.example").Return([]string{"127.0.0.1"}, nil).Once()
	script := mockimpact.NewScript()
	td := impacttest.NewDispatcher(t, cfg(func(p *mockimpact.Postback) { p.URL = "https://{ReferringDomain}/pb" }),
		impacttest.WithTransport(script), impacttest.WithResolver(res))
	for _, host := range []string{"gone.example", "brand.example"} {
		ev := fixtures.NewImpactGen(1, time.Time{}).ActionLifecycle()
		ev.ReferringDomain = host
		td.Fire(ev)
	}
	td.RunUntilIdle()
	var got []mockimpact.DeliveryOutcome
	for _, d := range td.Deliveries() {
		got = append(got, d.Outcome)
	}
	if diff := cmp.Diff([]mockimpact.DeliveryOutcome{mockimpact.DeliveryDNSFailure, mockimpact.DeliveryDelivered}, got); diff != "" {
		t.Fatal(diff)
	}
}

// A temporary DNS error is a network problem, retried.
func TestTemporaryDNSErrorIsRetried(t *testing.T) {
	res := mocks.NewResolver(t)
	res.EXPECT().LookupHost(mock.Anything, "brand.example").Return(nil, &net.DNSError{Err: "i/o timeout", IsTimeout: true}).Once()
	res.EXPECT().LookupHost(mock.Anything, "brand.example").Return([]string{"127.0.0.1"}, nil)
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithTransport(mockimpact.NewScript()), impacttest.WithResolver(res))
	td.FireGenerated("action_lifecycle", 1)
	td.RunUntilIdle()
	if diff := cmp.Diff([]mockimpact.Outcome{mockimpact.OutcomeNetworkError, mockimpact.OutcomeDelivered}, td.Only().Outcomes()); diff != "" {
		t.Fatal(diff)
	}
}

// TestMockedTransportTLSFailure uses the mockery Transport for an error
// no script plays: a TLS failure, classified network_error (kind tls).
func TestMockedTransportTLSFailure(t *testing.T) {
	tr := mocks.NewTransport(t)
	tr.EXPECT().RoundTrip(mock.Anything).Return(nil, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}).Times(16)
	res := mocks.NewResolver(t)
	res.EXPECT().LookupHost(mock.Anything, mock.Anything).Return([]string{"127.0.0.1"}, nil)
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithTransport(tr), impacttest.WithResolver(res))
	td.FireGenerated("action_lifecycle", 1)
	td.RunUntilIdle()
	d := td.Only()
	if d.Outcome != mockimpact.DeliveryExhausted || d.Attempts[0].ErrorKind != mockimpact.ErrKindTLS {
		t.Fatalf("%s %+v", d.Outcome, d.Attempts[0])
	}
}

func TestFireWithoutPostback(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(), impacttest.WithScript())
	_, err := td.TryFire(fixtures.NewImpactGen(1, time.Time{}).JobCompleted())
	if !errors.Is(err, mockimpact.ErrNoPostback) {
		t.Fatalf("%v", err)
	}
}

// TestLiveAgainstLoopback sends for real to an httptest receiver on the
// wall clock, many deliveries at once: run with -race. It also checks
// that attempts of one delivery never overlap.
// TestLiveInFlightBound: live attempts beyond MaxInFlight wait for a slot
// (and say how long in Queued) instead of opening ever more sockets; a
// dispatcher closed while attempts wait lets them go.
func TestLiveInFlightBound(t *testing.T) {
	var now, peak atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		w.Write([]byte("OK"))
	}))
	defer srv.Close()
	defer close(release)
	const bound, n = 4, 24
	d := mockimpact.NewDispatcher(mockimpact.Options{MaxInFlight: bound})
	fireJobs(t, d, srv.URL+"/jobs", n)
	// Let the receiver hold `bound` requests for a while, then answer all.
	deadline := time.Now().Add(5 * time.Second)
	for now.Load() < bound && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // time for any request past the bound to arrive
	if got := now.Load(); got != bound {
		t.Fatalf("%d requests in flight at once, want the bound %d", got, bound)
	}
	for range n {
		release <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WaitForAttempts(ctx, n); err != nil {
		t.Fatalf("waiting for %d attempts: %v", n, err)
	}
	queued := 0
	for _, dl := range deliveries(t, d) {
		a := dl.Attempts[0]
		if dl.Outcome != mockimpact.DeliveryDelivered {
			t.Fatalf("%s: %s (%s)", dl.ID, dl.Outcome, a.Error)
		}
		if a.Queued > 0 {
			queued++
		}
	}
	if peak.Load() > bound || queued < n-bound {
		t.Fatalf("peak %d in flight (bound %d); %d attempts queued, want at least %d", peak.Load(), bound, queued, n-bound)
	}
	d.Close()
}

// countingClaims is a memory store that counts the attempts claimed.
type countingClaims struct {
	*mockimpact.MemoryDeliveries
	claimed atomic.Int32
}

func (c *countingClaims) Claim(ctx context.Context, now time.Time, most int) ([]mockimpact.Claim, time.Time, bool, error) {
	claims, next, ok, err := c.MemoryDeliveries.Claim(ctx, now, most)
	c.claimed.Add(int32(len(claims)))
	return claims, next, ok, err
}

// TestLiveClaimsNoMoreThanTheSlotsHold: a burst due at once stays in the
// store while every slot is taken (not claimed into goroutines waiting
// for one), and is claimed as slots free up until every delivery is made.
func TestLiveClaimsNoMoreThanTheSlotsHold(t *testing.T) {
	var inFlight atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		<-release
		w.Write([]byte("OK"))
	}))
	defer srv.Close()
	var once sync.Once
	answer := func() { once.Do(func() { close(release) }) }
	defer answer() // before the server closes, whatever failed
	const bound, n = 4, 40
	store := &countingClaims{MemoryDeliveries: mockimpact.NewMemoryDeliveries()}
	d := mockimpact.NewDispatcher(mockimpact.Options{MaxInFlight: bound, Deliveries: store})
	defer d.Close()
	fireJobs(t, d, srv.URL+"/jobs", n)
	for deadline := time.Now().Add(5 * time.Second); inFlight.Load() < bound && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // real time: the receiver is real
	}
	time.Sleep(50 * time.Millisecond) // time for a poll past the bound to claim more
	if got := store.claimed.Load(); got != bound {
		t.Fatalf("%d attempts claimed with %d slots all taken, want %d: the rest stay in the store", got, bound, bound)
	}
	answer()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WaitForAttempts(ctx, n); err != nil {
		t.Fatalf("waiting for %d attempts: %v (claimed %d)", n, err, store.claimed.Load())
	}
	if st := stats(t, d); st.Pending != 0 || st.Attempts != n {
		t.Fatalf("%+v, want all %d delivered", st, n)
	}
}

// TestCloseReleasesQueuedAttempts: attempts waiting for a slot when the
// dispatcher closes are cancelled, never sent.
func TestCloseReleasesQueuedAttempts(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
	}))
	defer srv.Close()
	d := mockimpact.NewDispatcher(mockimpact.Options{MaxInFlight: 1})
	d.Configure(context.Background(), mockimpact.Postback{Event: "job_completed", URL: srv.URL + "/jobs"})
	ev := fixtures.NewImpactGen(1, time.Time{}).JobCompleted()
	for range 3 {
		d.Fire(context.Background(), ev)
	}
	for deadline := time.Now().Add(5 * time.Second); hits.Load() == 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
	}
	if cancelled := d.Close(); cancelled != 3 {
		t.Fatalf("Close cancelled %d deliveries, want 3", cancelled)
	}
	close(release)
	time.Sleep(50 * time.Millisecond) // time for a wrongly released attempt to arrive
	if got := hits.Load(); got != 1 {
		t.Fatalf("the receiver got %d requests; the queued attempts were sent after Close", got)
	}
}

func TestLiveAgainstLoopback(t *testing.T) {
	var inFlight sync.Map // delivery → *int32
	var overlaps, hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		aid := r.URL.Query().Get("aid")
		v, _ := inFlight.LoadOrStore(aid, new(int32))
		if atomic.AddInt32(v.(*int32), 1) > 1 {
			overlaps.Add(1)
		}
		defer atomic.AddInt32(v.(*int32), -1)
		if hits.Add(1)%2 == 1 {
			w.WriteHeader(500) // every other request fails
			return
		}
		w.Write([]byte("OK"))
	}))
	defer srv.Close()
	d := mockimpact.NewDispatcher(mockimpact.Options{})
	defer d.Close()
	if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: "action_lifecycle", URL: srv.URL + "/pb?aid={ActionId}", Method: "GET", Format: "none",
		Success: must(mockimpact.ParseMatcher("OK"))}); err != nil {
		t.Fatal(err)
	}
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := fixtures.NewImpactGen(int64(i+1), time.Time{}).ActionLifecycle()
			ev.ActionId = "A" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			if _, err := d.Fire(context.Background(), ev); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.WaitForAttempts(ctx, n); err != nil {
		t.Fatalf("waiting for %d attempts: %v (have %+v)", n, err, stats(t, d))
	}
	if overlaps.Load() != 0 {
		t.Fatalf("%d overlapping attempts of one delivery", overlaps.Load())
	}
	delivered, pending := 0, 0
	for _, dl := range deliveries(t, d) {
		switch dl.Outcome {
		case mockimpact.DeliveryDelivered:
			delivered++
		case mockimpact.DeliveryPending: // failed once, retry due in 15s
			pending++
			if a := dl.Attempts[0]; a.Outcome != mockimpact.OutcomeHTTPError || a.Status != 500 || !a.Retry {
				t.Fatalf("pending delivery's first attempt %+v", a)
			}
		default:
			t.Fatalf("delivery %s", dl.Outcome)
		}
	}
	if delivered+pending != n || delivered == 0 || pending == 0 {
		t.Fatalf("%d delivered, %d pending", delivered, pending)
	}
	if cancelled := d.Close(); cancelled != pending {
		t.Fatalf("Close cancelled %d, want %d", cancelled, pending)
	}
}

func TestLiveRefusedAndTimeout(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now: refused
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	for url, kind := range map[string]string{"http://" + addr + "/pb": mockimpact.ErrKindRefused, slow.URL + "/pb": mockimpact.ErrKindTimeout} {
		td := impacttest.NewDispatcher(t, cfg(func(p *mockimpact.Postback) {
			p.URL, p.Timeout = url, clock.Duration(200*time.Millisecond)
		}))
		td.FireGenerated("action_lifecycle", 1)
		td.Advance(time.Second) // first attempt only
		a := td.Only().Attempts[0]
		if a.Outcome != mockimpact.OutcomeNetworkError || a.ErrorKind != kind || !a.Retry {
			t.Errorf("%s: %+v", url, a)
		}
	}
}

func TestMaxDeliveriesKeepsPendingOnes(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript(mockimpact.Step{Status: 500}, mockimpact.Step{Status: 200})
	d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script, MaxDeliveries: 3})
	defer d.Close()
	d.Configure(context.Background(), cfg())
	for i := range 5 {
		ev := fixtures.NewImpactGen(int64(i), time.Time{}).ActionLifecycle()
		d.Fire(context.Background(), ev)
	}
	vc.Advance(time.Second) // every delivery failed once: all pending
	if st := stats(t, d); st.Deliveries != 5 || st.Evicted != 0 {
		t.Fatalf("pending deliveries were evicted: %+v", st)
	}
	vc.RunUntilIdle(0) // all delivered at their second attempt
	st := stats(t, d)
	if st.Deliveries != 3 || st.Evicted != 2 || st.Pending != 0 {
		t.Fatalf("%+v", st)
	}
	if got := deliveries(t, d); got[0].ID != "d000003" || got[2].ID != "d000005" {
		t.Fatalf("kept %s … %s, want the newest", got[0].ID, got[2].ID)
	}
	if _, ok := delivery(t, d, "d000001"); ok {
		t.Fatal("an evicted delivery is still found by ID")
	}
}

// TestMaxDeliveriesEvictsPastAPendingOne: with the oldest delivery
// pending, the journal stays at its bound as newer ones end, evicting
// those that ended first, in order, and keeps the pending one.
func TestMaxDeliveriesEvictsPastAPendingOne(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript()
	first := failFirstAttemptOf{script, "d000001"}
	d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: first, Resolver: script, MaxDeliveries: 10})
	defer d.Close()
	d.Configure(context.Background(), cfg())
	const n = 1001
	for i := range n {
		d.Fire(context.Background(), fixtures.NewImpactGen(int64(i), time.Time{}).ActionLifecycle())
		if i%100 == 0 {
			vc.Advance(time.Millisecond) // the newer ones end in turns
		}
	}
	vc.Advance(time.Second) // the first failed once and waits; the others were delivered
	st := stats(t, d)
	if st.Deliveries != 10 || st.Evicted != n-10 || st.Pending != 1 {
		t.Fatalf("%+v, want 10 kept, %d evicted, 1 pending", st, n-10)
	}
	got := deliveries(t, d)
	var ids []string
	for _, dl := range got {
		ids = append(ids, dl.ID)
	}
	want := []string{"d000001", "d000993", "d000994", "d000995", "d000996", "d000997", "d000998", "d000999", "d001000", "d001001"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Fatalf("kept (-want +got):\n%s", diff)
	}
	if _, ok := delivery(t, d, "d000500"); ok {
		t.Fatal("an evicted delivery is still found by ID")
	}
	vc.RunUntilIdle(0) // the first is delivered at its second attempt: it ended last
	d.Fire(context.Background(), fixtures.NewImpactGen(n, time.Time{}).ActionLifecycle())
	vc.RunUntilIdle(0) // one more ended: the one that ended first goes
	if got := deliveries(t, d); len(got) != 10 || got[0].ID != "d000001" || got[1].ID != "d000994" || got[9].ID != "d001002" {
		t.Fatalf("after the pending one ended: %d kept, %s, %s, …, %s; want d000001, d000994, …, d001002 (d000993 ended first)", len(got), got[0].ID, got[1].ID, got[len(got)-1].ID)
	}
	if st := stats(t, d); st.Deliveries != 10 || st.Pending != 0 {
		t.Fatalf("%+v", st)
	}
}

// failFirstAttemptOf answers 500 to the first attempt of one delivery,
// as script answers the others.
type failFirstAttemptOf struct {
	*mockimpact.Script
	id string
}

func (f failFirstAttemptOf) Simulate(req *http.Request, timeout time.Duration) (*http.Response, time.Duration, error) {
	if a, _ := mockimpact.AttemptFromContext(req.Context()); a.DeliveryID == f.id && a.N == 1 {
		return &http.Response{StatusCode: 500, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}}, time.Millisecond, nil
	}
	return f.Script.Simulate(req, timeout)
}

// TestInvalidPortNotRetried: a port out of range is a malformed URL, which
// the impact document says is not retried; the live transport used to
// dial it and retry the network error through the whole schedule.
func TestInvalidPortNotRetried(t *testing.T) {
	for _, port := range []string{"99999", "0", "65536"} {
		t.Run(port, func(t *testing.T) {
			var dials atomic.Int32
			tr := mockimpact.NewLiveTransport()
			dial := tr.DialContext
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return dial(ctx, network, addr)
			}
			td := impacttest.NewDispatcher(t, cfg(func(p *mockimpact.Postback) {
				p.URL = "http://127.0.0.1:{Numeric1}" + port + "/x?aid={ActionId}"
			}), impacttest.WithTransport(tr))
			ev := must(fixtures.NewImpactGen(1, td.Clock.Now()).Event("action_lifecycle")).(*fixtures.ActionLifecycle)
			ev.Numeric1 = 0
			td.Fire(ev)
			td.RunUntilIdle()
			d := td.Only()
			if d.Outcome != mockimpact.DeliveryInvalidURL || len(d.Attempts) != 1 || d.Attempts[0].Outcome != mockimpact.OutcomeInvalidURL {
				t.Fatalf("outcome %s after %d attempts (%v); want invalid_url after 1", d.Outcome, len(d.Attempts), d.Attempts[0].Error)
			}
			if n := dials.Load(); n != 0 {
				t.Fatalf("%d dials; nothing must be sent", n)
			}
		})
	}
}

// TestStatusesFired: FireGeneratedWith delivers the status asked for, and
// one seed is one action across statuses.
func TestStatusesFired(t *testing.T) {
	td := impacttest.NewDispatcher(t, cfg(func(p *mockimpact.Postback) { p.URL = "https://b.example/pb?aid={ActionId}&s={Status}&d={DeltaAmount}" }),
		impacttest.WithScript(mockimpact.Step{Status: 200}))
	td.FireGeneratedWith("action_lifecycle", fixtures.GenOptions{Seed: 7})
	td.FireGeneratedWith("action_lifecycle", fixtures.GenOptions{Seed: 7, Status: fixtures.ActionReversed})
	td.RunUntilIdle()
	ds := td.Deliveries()
	tracked, reversed := ds[0].Request.URL, ds[1].Request.URL
	aid := func(u string) string { return strings.Split(strings.Split(u, "aid=")[1], "&")[0] }
	if !strings.Contains(tracked, "s=TRACKED") || !strings.Contains(reversed, "s=REVERSED&d=-") || aid(tracked) != aid(reversed) {
		t.Fatalf("tracked %s\nreversed %s", tracked, reversed)
	}
}

// TestApplicationUpdate: a PENDING application delivered with empty data
// points is followed, UpdateDelay later, by an update filling them; an
// undelivered one, an APPROVED one and an update are not updated.
func TestApplicationUpdate(t *testing.T) {
	pb := mockimpact.Postback{Event: "publisher_application", URL: "https://b.example/apps?c={ContractId}&g={CreatorGender}&s={Status}", Method: "GET", Format: "none"}
	td := impacttest.NewDispatcher(t, pb, impacttest.WithScript(mockimpact.Step{Status: 200}))
	first := td.FireGeneratedWith("publisher_application", fixtures.GenOptions{Seed: 4})
	td.FireGeneratedWith("publisher_application", fixtures.GenOptions{Seed: 4, Status: fixtures.StatusApproved})
	td.RunUntilIdle()
	ds := td.Deliveries()
	if len(ds) != 3 {
		t.Fatalf("%d deliveries, want the PENDING one, the APPROVED one and the update", len(ds))
	}
	up := ds[2]
	if up.UpdateOf != first || up.Outcome != mockimpact.DeliveryDelivered || up.Fired.Sub(ds[0].Attempts[0].Actual) != mockimpact.DefaultUpdateDelay {
		t.Fatalf("update %+v (first attempt of d1 at %v)", up, ds[0].Attempts[0].Actual)
	}
	if !strings.Contains(ds[0].Request.URL, "g=&s=PENDING") || strings.Contains(up.Request.URL, "g=&") || !strings.Contains(up.Request.URL, "s=PENDING") {
		t.Fatalf("first %s\nupdate %s", ds[0].Request.URL, up.Request.URL)
	}
	if c := func(u string) string { return strings.Split(strings.Split(u, "c=")[1], "&")[0] }; c(up.Request.URL) != c(ds[0].Request.URL) {
		t.Fatal("the update is another application")
	}
	if ev, ok := td.Payload(up.ID); !ok || fixtures.NeedsUpdate(ev.(*fixtures.PublisherApplication)) {
		t.Fatalf("payload of the update: %v %v", ev, ok)
	}

	failing := impacttest.NewDispatcher(t, pb, impacttest.WithScript(mockimpact.Step{Status: 500}))
	failing.FireGeneratedWith("publisher_application", fixtures.GenOptions{Seed: 4})
	failing.RunUntilIdle()
	if n := len(failing.Deliveries()); n != 1 {
		t.Fatalf("an exhausted PENDING delivery was updated: %d deliveries", n)
	}
	off := impacttest.NewDispatcher(t, pb, impacttest.WithScript(mockimpact.Step{Status: 200}), impacttest.WithUpdateDelay(-1))
	off.FireGeneratedWith("publisher_application", fixtures.GenOptions{Seed: 4})
	off.RunUntilIdle()
	if n := len(off.Deliveries()); n != 1 {
		t.Fatalf("updates disabled, %d deliveries", n)
	}
}

// TestRateLimitedOnlyByTheLimit: on the wall clock an attempt goes a
// little after it is due (a timer's lateness); without max_rps none of
// that is reported as the rate limit's.
func TestRateLimitedOnlyByTheLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("OK")) }))
	defer srv.Close()
	d := mockimpact.NewDispatcher(mockimpact.Options{})
	defer d.Close()
	if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: "action_lifecycle", URL: srv.URL + "/pb", Method: "GET", Format: "none",
		MinDelay: clock.Duration(20 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ev, err := fixtures.Generate("action_lifecycle", fixtures.GenOptions{Seed: int64(i + 1)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Fire(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := d.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, dl := range deliveries(t, d) {
		for _, a := range dl.Attempts {
			if a.RateLimited != 0 || a.Actual.Before(a.Scheduled) {
				t.Errorf("delivery %s: scheduled %v, sent %v later, rate_limited %v; want no rate-limit wait without max_rps",
					dl.ID, a.Scheduled, a.Actual.Sub(a.Scheduled), a.RateLimited)
			}
		}
	}
}

// fireJobs configures job_completed to url and fires n of them.
func fireJobs(t *testing.T, d *mockimpact.Dispatcher, url string, n int) {
	t.Helper()
	if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: "job_completed", URL: url}); err != nil {
		t.Fatal(err)
	}
	ev := fixtures.NewImpactGen(1, time.Time{}).JobCompleted()
	for range n {
		if _, err := d.Fire(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}
