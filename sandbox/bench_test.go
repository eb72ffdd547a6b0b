package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/loadgen"
	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
)

// BenchmarkSandboxLoad compares /track/activate/ through the whole
// sandbox — JSON request logging (to io.Discard), Prometheus metrics,
// journal, dedup — with a bare net/http handler writing the same JSON,
// over loopback from 50 keep-alive clients, in one run.
//
//	go test ./sandbox -run '^$' -bench SandboxLoad -benchtime 5x
func BenchmarkSandboxLoad(b *testing.B) {
	sb := New(Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ocean: mockocean.Config{JournalCapacity: 100_000}})
	defer sb.Close()
	c, err := loadgen.Compare(context.Background(), sb, b.N, loadgen.Config{Clients: 50, Requests: 20_000}, func(round, i int) string {
		return fmt.Sprintf("/track/activate/?callback=cb%d&idfa=FCD369C3-F622-44B8-AFDE-%012d&event_type=2&outer_event_id=e%d-%d", i, i, i, round)
	})
	if err != nil {
		b.Fatal(err)
	}
	c.Report(b, "sandbox")
}

// BenchmarkSandboxFaults loads the whole sandbox (as SandboxLoad does)
// while a fault rule answers a seeded share of the requests, and reports
// throughput, p99 and the share of requests the fault answered, as the
// clients saw it and as the rule counted it.
//
//	go test ./sandbox -run '^$' -bench SandboxFaults -benchtime 3x
func BenchmarkSandboxFaults(b *testing.B) {
	const requests = 20_000
	for _, c := range []struct {
		name  string
		fault mockocean.Fault
	}{
		{"none", mockocean.Fault{}},
		{"status503-p0.3", mockocean.Fault{Status: 503, Probability: 0.3, Seed: 1}},
		{"code40002-p0.3", mockocean.Fault{Code: 40002, Probability: 0.3, Seed: 1}},
		{"delay20ms-p0.1", mockocean.Fault{Delay: clock.Duration(20 * time.Millisecond), Probability: 0.1, Seed: 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var rps, p99, seen, counted float64
			for round := range b.N {
				sb := New(Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ocean: mockocean.Config{JournalCapacity: 100_000}})
				if c.name != "none" {
					if _, err := sb.Ocean.InjectFault(context.Background(), c.fault); err != nil {
						b.Fatal(err)
					}
				}
				hs := httptest.NewServer(sb)
				var coded atomic.Int64
				res, err := loadgen.Run(context.Background(), loadgen.Config{Clients: 50, Requests: requests,
					URL: func(i int) string {
						return fmt.Sprintf("%s/track/activate/?callback=cb%d&idfa=i%d&event_type=2&outer_event_id=e%d-%d", hs.URL, i, i, i, round)
					},
					Check: func(body []byte) {
						if !bytes.HasPrefix(body, []byte(`{"code":0,`)) {
							coded.Add(1)
						}
					},
				})
				hs.Close()
				if err != nil {
					b.Fatal(err)
				}
				hits := 0
				for _, f := range testtb.Must(sb.Ocean.Faults(context.Background())) {
					hits += f.Hits
				}
				rps += res.RPS()
				p99 += float64(res.P99.Microseconds())
				switch {
				case c.fault.Status != 0:
					seen += float64(res.Errors)
				case c.fault.Code != 0:
					seen += float64(coded.Load())
				default:
					seen += float64(hits) // a delay answers normally: only the rule knows
				}
				counted += float64(hits)
				sb.Close()
			}
			n := float64(b.N)
			b.ReportMetric(rps/n, "req/s")
			b.ReportMetric(p99/n, "p99-µs")
			b.ReportMetric(100*seen/n/requests, "faulted-%")
			b.ReportMetric(100*counted/n/requests, "rule-hits-%")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkJournalMemory sends 1,000,000 conversions through the sandbox
// handler (in process) and reports the heap they leave behind, with the
// journal bounded at its default (100,000) and at 1,000,000.
//
//	go test ./sandbox -run '^$' -bench JournalMemory -benchtime 1x
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
				st := testtb.Must(sb.Ocean.JournalStats(context.Background()))
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

// BenchmarkJournalByteBudget sends 20,000 form POSTs of 64 KiB each (1.25
// GiB in all) through the sandbox handler with the default count cap and
// byte budgets of 256 MiB (the serve default) and 64 MiB, and reports the
// heap they leave behind: the budget, not the count, bounds it.
//
//	go test ./sandbox -run '^$' -bench JournalByteBudget -benchtime 1x
func BenchmarkJournalByteBudget(b *testing.B) {
	const total, size = 20_000, 64 << 10
	body := "callback=c&idfa=i&event_type=0&props=" + strings.Repeat("x", size-37)
	for _, budget := range []int64{256 << 20, 64 << 20} {
		b.Run(fmt.Sprintf("budget=%dMiB", budget>>20), func(b *testing.B) {
			for range b.N {
				sb := New(Config{Ocean: mockocean.Config{JournalCapacity: 100_000, JournalMaxBytes: budget, MaxBodyBytes: 1 << 20}})
				before := heap()
				for range total {
					req := httptest.NewRequest("POST", "/track/activate/", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					sb.ServeHTTP(httptest.NewRecorder(), req)
				}
				after := heap()
				st := testtb.Must(sb.Ocean.JournalStats(context.Background()))
				if st.Received != total || st.Bytes > budget || st.Evicted == 0 {
					b.Fatalf("journal %+v", st)
				}
				b.ReportMetric(float64(after-before)/(1<<20), "heap-MiB")
				b.ReportMetric(float64(st.Stored), "stored")
				b.ReportMetric(float64(st.Evicted), "evicted")
				runtime.KeepAlive(sb)
				sb.Close()
			}
		})
	}
}
