package sandbox

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/loadgen"
	"github.com/postbacksim/postbacksim/mockocean"
)

func urls(base string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s/track/activate/?callback=cb%d&idfa=FCD369C3-F622-44B8-AFDE-%012d&event_type=2&outer_event_id=e%d", base, i, i, i)
	}
	return out
}

// BenchmarkSandboxLoad compares /track/activate/ through the whole
// sandbox — JSON request logging (to io.Discard), Prometheus metrics,
// journal, dedup — with a bare net/http handler writing the same JSON,
// over loopback from 50 keep-alive clients, in one run.
//
//	go test ./internal/sandbox -run '^$' -bench SandboxLoad -benchtime 5x
func BenchmarkSandboxLoad(b *testing.B) {
	const clients, requests = 50, 20_000
	success := []byte(`{"code":0,"ret":0,"msg":"success"}`)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(success)
	}))
	defer bare.Close()
	sb := New(Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ocean: mockocean.Config{JournalCapacity: 100_000}})
	defer sb.Close()
	full := httptest.NewServer(sb)
	defer full.Close()

	var elapsed [2]time.Duration
	var p99s [2][]time.Duration
	n := 0
	for it := 0; it < b.N; it++ {
		for k, base := range []string{bare.URL, full.URL} {
			u := urls(fmt.Sprintf("%s", base), requests)
			for i := range u {
				u[i] += fmt.Sprintf("-%d", it) // fresh outer_event_ids each iteration
			}
			res, err := loadgen.Run(context.Background(), loadgen.Config{Clients: clients, Requests: requests, URL: func(i int) string { return u[i] }})
			if err != nil || res.Errors > 0 {
				b.Fatalf("%v, %d errors", err, res.Errors)
			}
			elapsed[k] += res.Elapsed
			p99s[k] = append(p99s[k], res.P99)
		}
		n += requests
	}
	rps := func(k int) float64 { return float64(n) / elapsed[k].Seconds() }
	p99 := func(k int) float64 { slices.Sort(p99s[k]); return float64(p99s[k][len(p99s[k])/2].Microseconds()) }
	b.ReportMetric(rps(0), "bare-req/s")
	b.ReportMetric(rps(1), "sandbox-req/s")
	b.ReportMetric(rps(1)/rps(0), "ratio")
	b.ReportMetric(p99(0), "bare-p99-µs")
	b.ReportMetric(p99(1), "sandbox-p99-µs")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkJournalMemory sends 1,000,000 conversions through the sandbox
// handler (in process) and reports the heap they leave behind, with the
// journal bounded at its default (100,000) and at 1,000,000.
//
//	go test ./internal/sandbox -run '^$' -bench JournalMemory -benchtime 1x
func BenchmarkJournalMemory(b *testing.B) {
	const total = 1_000_000
	for _, capacity := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("cap=%d", capacity), func(b *testing.B) {
			for range b.N {
				sb := New(Config{Ocean: mockocean.Config{JournalCapacity: capacity}})
				before := heap()
				for i := range total {
					req := httptest.NewRequest("GET", fmt.Sprintf("/track/activate/?callback=cb%d&idfa=FCD369C3-F622-44B8-AFDE-%012d&event_type=2&outer_event_id=e%d", i, i, i), nil)
					sb.ServeHTTP(httptest.NewRecorder(), req)
				}
				after := heap()
				st := sb.Ocean.JournalStats()
				if st.Received != total || st.Stored != capacity || st.Evicted != uint64(total-capacity) {
					b.Fatalf("journal %+v", st)
				}
				// The heap holds the journal (capacity requests) and the dedup
				// filter (all 1,000,000 outer_event_ids).
				b.ReportMetric(float64(after-before)/(1<<20), "heap-MiB")
				b.ReportMetric(float64(st.Evicted), "evicted")
				runtime.KeepAlive(sb)
				sb.Close()
			}
		})
	}
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
