package sandbox

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

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
	old := sb.tenants["x"]
	delete(sb.tenants, "x")
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
