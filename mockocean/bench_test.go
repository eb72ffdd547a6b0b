package mockocean_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/loadgen"
	"github.com/postbacksim/postbacksim/mockocean"
)

// conversionURLs returns n realistic, distinct request URLs for base.
func conversionURLs(base string, n int) []string {
	g := fixtures.NewOceanGen(11)
	out := make([]string, n)
	for i := range out {
		q := url.Values{}
		for k, v := range g.ConversionParams(g.Callback(), g.Device(), 2, 1700000000) {
			q.Set(k, v)
		}
		out[i] = base + "?" + q.Encode()
	}
	return out
}

// BenchmarkLoopbackLoad compares /track/activate/ (decode, validate,
// dedup, journal) with a bare net/http handler that writes the same
// success JSON, both over loopback from 50 keep-alive clients, in one
// run. Each iteration sends `requests` to each server, alternating.
//
//	go test ./mockocean -run '^$' -bench LoopbackLoad -benchtime 5x
func BenchmarkLoopbackLoad(b *testing.B) {
	const clients, requests = 50, 20_000
	success := []byte(`{"code":0,"ret":0,"msg":"success"}`)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(success)
	}))
	defer bare.Close()
	ocean := httptest.NewServer(mockocean.New(mockocean.Config{JournalCapacity: 100_000}))
	defer ocean.Close()

	bareURLs := conversionURLs(bare.URL+mockocean.ActivatePath, requests)
	var sums [2]struct {
		n       int
		elapsed time.Duration
		p99s    []time.Duration
		errors  int
	}
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		// Fresh outer_event_ids every iteration, so every request is accepted.
		oceanURLs := conversionURLs(ocean.URL+mockocean.ActivatePath, requests)
		for k, urls := range [][]string{bareURLs, oceanURLs} {
			res, err := loadgen.Run(context.Background(), loadgen.Config{
				Clients: clients, Requests: requests, URL: func(i int) string { return urls[i] },
			})
			if err != nil {
				b.Fatal(err)
			}
			s := &sums[k]
			s.n += res.Requests
			s.elapsed += res.Elapsed
			s.p99s = append(s.p99s, res.P99)
			s.errors += res.Errors
		}
	}
	b.StopTimer()
	rps := func(k int) float64 { return float64(sums[k].n) / sums[k].elapsed.Seconds() }
	p99 := func(k int) float64 { // the median of the per-iteration p99s
		ps := sums[k].p99s
		for i := range ps {
			for j := i + 1; j < len(ps); j++ {
				if ps[j] < ps[i] {
					ps[i], ps[j] = ps[j], ps[i]
				}
			}
		}
		return float64(ps[len(ps)/2].Microseconds())
	}
	if sums[0].errors+sums[1].errors > 0 {
		b.Fatalf("errors: bare %d, ocean %d", sums[0].errors, sums[1].errors)
	}
	b.ReportMetric(rps(0), "bare-req/s")
	b.ReportMetric(rps(1), "ocean-req/s")
	b.ReportMetric(rps(1)/rps(0), "ratio")
	b.ReportMetric(p99(0), "bare-p99-µs")
	b.ReportMetric(p99(1), "ocean-p99-µs")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkActivateHandler measures one request through the handler, no
// network.
func BenchmarkActivateHandler(b *testing.B) {
	srv := mockocean.New(mockocean.Config{JournalCapacity: 10_000})
	urls := conversionURLs(mockocean.ActivatePath, 4096)
	reqs := make([]*http.Request, len(urls))
	for i, u := range urls {
		reqs[i] = httptest.NewRequest("GET", u, nil)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, reqs[i%len(reqs)])
		i++
	}
}

// BenchmarkDedupMemory stores 1,000,000 UUID outer_event_ids and reports
// the heap used per id, with and without the id's own bytes.
func BenchmarkDedupMemory(b *testing.B) {
	const n = 1_000_000
	for it := 0; it < b.N; it++ {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", i, i&0xffff, i&0xfff, i&0xfff, i)
		}
		srv := mockocean.New(mockocean.Config{DedupCapacity: n})
		before := heapAfterGC()
		mockocean.FillDedupForTest(srv, ids)
		after := heapAfterGC()
		idBytes := float64(48) // a 36-byte string occupies a 48-byte size class
		perID := float64(after-before) / n
		b.ReportMetric(perID+idBytes, "bytes/id")
		b.ReportMetric(perID, "overhead-bytes/id")
		runtime.KeepAlive(ids)
		runtime.KeepAlive(srv)
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
