package sandbox

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// TestSummarySumsNeverGoDown: the sums the traffic summary reads
// (removed namespaces' counts included) never go down while namespaces
// are removed: a read between retire and the deletion of the series
// counts them twice (the next summary then counts down), one that reads
// the retired counts before and the series after, not at all.
func TestSummarySumsNeverGoDown(t *testing.T) {
	sb := New(Config{})
	defer sb.Close()
	m := sb.metrics
	const code = "0"
	stop := make(chan struct{})
	done := make(chan struct{})
	var incs atomic.Int64
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ns := "ns" + strconv.Itoa(i%4)
			incs.Add(1) // first: a read between the two never sees more than made
			m.oceanRequests.WithLabelValues(ns, "track", code).Inc()
			m.forget(ns)
		}
	}()
	prev := 0.0
	deadline := time.Now().Add(3 * time.Second)
	bad := ""
	for time.Now().Before(deadline) && bad == "" {
		got := m.sums("")["postbacksim_ocean_requests_total"][code]
		after := incs.Load()
		switch {
		case got < prev:
			bad = fmt.Sprintf("went down: %v after %v", got, prev)
		case got > float64(after):
			bad = fmt.Sprintf("%v counted, more than the %d requests made", got, after)
		}
		prev = got
	}
	close(stop)
	<-done
	if bad != "" {
		t.Fatal(bad)
	}
}
