package sandbox

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

// TestOceanCountersCountEveryAnswer: the per-namespace cache of counters
// counts each answer on its own series, under concurrent requests, with
// the labels /metrics has always used.
func TestOceanCountersCountEveryAnswer(t *testing.T) {
	sb := New(Config{})
	defer sb.Close()
	c := sb.metrics.oceanCountersFor("team-a")
	answers := []struct {
		r         mockocean.Request
		api, code string
	}{
		{mockocean.Request{Status: http.StatusOK, Code: 0}, "track", "0"},
		{mockocean.Request{Status: http.StatusOK, Code: mockocean.CodeDuplicate}, "track", "40004"},
		{mockocean.Request{API: mockocean.APIV2, Status: http.StatusOK, Code: 0}, "v2", "0"},
		{mockocean.Request{Status: http.StatusServiceUnavailable, Fault: "f1"}, "track", "http_503"},
		{mockocean.Request{Status: http.StatusOK, Fault: "f2"}, "track", "http_200"},
		{mockocean.Request{Status: http.StatusOK, Code: 40011, Fault: "f3"}, "track", "40011"},
		{mockocean.Request{Status: 0, Fault: "f4"}, "track", "dropped"},
	}
	const workers, each = 4, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c.inc(answers[(w+i)%len(answers)].r)
			}
		})
	}
	wg.Wait()
	want := map[[2]string]float64{}
	for w := range workers {
		for i := range each {
			a := answers[(w+i)%len(answers)]
			want[[2]string{a.api, a.code}]++
		}
	}
	for k, n := range want {
		if got := testutil.ToFloat64(sb.metrics.oceanRequests.WithLabelValues("team-a", k[0], k[1])); got != n {
			t.Errorf("api=%s code=%s: %v, want %v", k[0], k[1], got, n)
		}
	}
	if got, want := testutil.CollectAndCount(sb.metrics.oceanRequests), len(want); got != want {
		t.Errorf("%d series, want %d", got, want)
	}
}

// TestMetricsCountANamespaceMadeAgainWhileTheOldOneGoes: traffic that
// makes a namespace again while its predecessor's series are being
// removed (DeleteNamespace, expiry and a shared registry all release
// the lock before the old tenant is dropped) is counted on /metrics
// afterwards: the counters cached before the removal are looked up
// again.
func TestMetricsCountANamespaceMadeAgainWhileTheOldOneGoes(t *testing.T) {
	sb := New(Config{})
	defer sb.Close()
	send := func() {
		sb.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ns/x/track/activate/?callback=c&event_type=0&os=0&muid=m", nil))
	}
	send()
	// DeleteNamespace's steps: out of the map under the lock, ...
	sb.mu.Lock()
	old := sb.tenantMap()["x"]
	sb.deleteTenantLocked("x")
	sb.removals++
	sb.mu.Unlock()
	send()             // ... a request meanwhile makes x again ...
	sb.dropTenant(old) // ... then the old one's series are removed.
	for range 3 {
		send()
	}
	rec := httptest.NewRecorder()
	sb.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	got := regexp.MustCompile(`(?m)^postbacksim_ocean_requests_total\{[^}]*namespace="x"[^}]*\} (\S+)$`).FindStringSubmatch(rec.Body.String())
	if len(got) < 2 || got[1] != "3" {
		t.Errorf("the series of namespace x after 3 more requests: %q, want a count of 3", got)
	}
}

// TestImpactSeriesCountEveryAttempt: the per-namespace cache of attempt
// series counts each attempt on its outcome, each ended delivery on its
// end, and observes a latency only for attempts that have one (an event
// whose attempts never got an answer has no latency series), under
// concurrent attempts.
func TestImpactSeriesCountEveryAttempt(t *testing.T) {
	sb := New(Config{})
	defer sb.Close()
	c := sb.metrics.impactMetricsFor("team-a")
	attempts := []mockimpact.Attempt{
		{Event: "action_lifecycle", N: 1, Outcome: mockimpact.OutcomeDelivered, Latency: time.Millisecond},
		{Event: "action_lifecycle", N: 1, Outcome: mockimpact.OutcomeHTTPError, Latency: 2 * time.Millisecond, Retry: true},
		{Event: "action_lifecycle", N: mockimpact.MaxAttempts, Outcome: mockimpact.OutcomeHTTPError, Latency: 3 * time.Millisecond},
		{Event: "job_completed", N: 1, Outcome: mockimpact.OutcomeDNSFailure},
		{Event: "job_completed", N: 1, Outcome: mockimpact.OutcomeInvalidURL},
	}
	const workers, each = 4, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c.count(attempts[(w+i)%len(attempts)])
			}
		})
	}
	wg.Wait()
	wantAttempts, wantEnds, wantTimed := map[[2]string]float64{}, map[[2]string]float64{}, map[string]uint64{}
	for w := range workers {
		for i := range each {
			a := attempts[(w+i)%len(attempts)]
			wantAttempts[[2]string{a.Event, string(a.Outcome)}]++
			if !a.Retry {
				wantEnds[[2]string{a.Event, string(mockimpact.EndOf(a.Outcome, a.N))}]++
			}
			if a.Latency > 0 {
				wantTimed[a.Event]++
			}
		}
	}
	for k, n := range wantAttempts {
		if got := testutil.ToFloat64(sb.metrics.impactAttempts.WithLabelValues("team-a", k[0], k[1])); got != n {
			t.Errorf("attempts event=%s outcome=%s: %v, want %v", k[0], k[1], got, n)
		}
	}
	for k, n := range wantEnds {
		if got := testutil.ToFloat64(sb.metrics.impactDeliveries.WithLabelValues("team-a", k[0], k[1])); got != n {
			t.Errorf("deliveries event=%s outcome=%s: %v, want %v", k[0], k[1], got, n)
		}
	}
	if got, want := testutil.CollectAndCount(sb.metrics.impactDeliveries), len(wantEnds); got != want {
		t.Errorf("%d delivery series, want %d", got, want)
	}
	if got := testutil.CollectAndCount(sb.metrics.attemptLatency); got != len(wantTimed) {
		t.Errorf("%d latency series, want %d (none for an event never answered)", got, len(wantTimed))
	}
	var m dto.Metric
	if err := sb.metrics.attemptLatency.WithLabelValues("team-a", "action_lifecycle").(prometheus.Histogram).Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetHistogram().GetSampleCount(); got != wantTimed["action_lifecycle"] {
		t.Errorf("%d latencies observed, want %d", got, wantTimed["action_lifecycle"])
	}
}
