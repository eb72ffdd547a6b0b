package sandbox

import (
	"net/http"
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
