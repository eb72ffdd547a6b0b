package bench

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkShippedDispatch measures impact live dispatch through what
// users run: `postbacksim serve` with default flags fires 40,000
// action_lifecycle events (8 batches of 5,000, at once) to a bare
// receiver (bench/bare) on loopback, and the benchmark waits until every
// delivery is made; beside it, a bare Go client sends the same GET
// requests to the same receiver with the same concurrency (64, serve's
// --max-in-flight): the limit of sending on this machine. It reports
// both attempts/s, their ratio (target ≥ 0.8), and the serve process's
// allocations per attempt (from its /metrics).
//
//	go test ./bench -run '^$' -bench ShippedDispatch -benchtime 1x
func BenchmarkShippedDispatch(b *testing.B) {
	dir := b.TempDir()
	bin := build(b, dir, "cmd/postbacksim")
	recv, _ := startProcess(b, build(b, dir, "bench/bare"), "--addr", "127.0.0.1:0")
	const batches, per = 8, 5000
	for range b.N {
		sim, _ := startProcess(b, bin, "serve", "--addr", "127.0.0.1:0")
		put, _ := http.NewRequest("PUT", sim+"/_admin/impact/postbacks/action_lifecycle",
			strings.NewReader(`{"url":"`+recv+`/track/activate/?aid={ActionId}","method":"GET","format":"none"}`))
		if resp, err := http.DefaultClient.Do(put); err != nil || resp.StatusCode != 200 {
			b.Fatalf("configure: %v", err)
		} else {
			resp.Body.Close()
		}
		mallocs0 := promValue(getText(b, sim+"/metrics"), "go_memstats_mallocs_total")
		start := time.Now()
		var wg sync.WaitGroup
		for range batches {
			wg.Go(func() {
				resp, err := http.Post(fmt.Sprintf("%s/_admin/impact/events/action_lifecycle?count=%d", sim, per), "", nil)
				if err != nil || resp.StatusCode != 202 {
					b.Errorf("fire: %v", err)
					return
				}
				resp.Body.Close()
			})
		}
		wg.Wait()
		fired := time.Since(start)
		for {
			var out struct {
				Stats struct{ Pending, Attempts int }
			}
			getJSON(b, sim+"/_admin/impact/deliveries?limit=1", &out)
			if out.Stats.Pending == 0 && out.Stats.Attempts >= batches*per {
				break
			}
			if time.Since(start) > 2*time.Minute {
				b.Fatalf("deliveries not done after 2 minutes: %+v", out.Stats)
			}
			time.Sleep(20 * time.Millisecond) // real time: the deliveries go out
		}
		took := time.Since(start)
		mallocs := promValue(getText(b, sim+"/metrics"), "go_memstats_mallocs_total") - mallocs0

		// The limit: a bare client, the same requests, the same concurrency.
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		var next atomic.Int64
		bareStart := time.Now()
		var cw sync.WaitGroup
		for range 64 {
			cw.Go(func() {
				for i := next.Add(1); i <= batches*per; i = next.Add(1) {
					resp, err := client.Get(fmt.Sprintf("%s/track/activate/?aid=ACT-%d", recv, i))
					if err != nil {
						b.Errorf("bare client: %v", err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		cw.Wait()
		bareTook := time.Since(bareStart)

		rate, bareRate := float64(batches*per)/took.Seconds(), float64(batches*per)/bareTook.Seconds()
		b.ReportMetric(rate, "attempts/s")
		b.ReportMetric(bareRate, "bare-client-req/s")
		b.ReportMetric(rate/bareRate, "ratio")
		b.ReportMetric(float64(batches*per)/fired.Seconds(), "fired-events/s")
		b.ReportMetric(mallocs/float64(batches*per), "allocs/attempt-with-firing")
		b.ReportMetric(0, "ns/op")
	}
}
