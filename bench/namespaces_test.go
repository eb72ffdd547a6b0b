package bench

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/redistest"
)

// BenchmarkShippedMemoryNamespaces floods the default namespace and 64
// others of `postbacksim serve` (default flags) with 40 bodies of 1 MB
// each, 2.6 GB in all, and reports the process's resident memory against
// the sandbox-wide memory budget (--memory-budget, 378 MiB by default)
// and the soft limit serve keeps under (1.25 × the budget + 64 MiB):
// what the namespaces hold stays under the budget, whatever their count.
//
//	go test ./bench -run '^$' -bench ShippedMemoryNamespaces -benchtime 1x
func BenchmarkShippedMemoryNamespaces(b *testing.B) {
	bin := build(b, b.TempDir(), "cmd/postbacksim")
	pad := strings.Repeat("x", 1000<<10)
	for range b.N {
		sim, pid := startProcess(b, bin, "serve", "--addr", "127.0.0.1:0")
		sem := make(chan struct{}, 8)
		var wg sync.WaitGroup
		var failed sync.Map
		for n := range 65 {
			prefix := ""
			if n > 0 {
				prefix = fmt.Sprintf("/ns/flood%d", n)
			}
			for i := range 40 {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					body := fmt.Sprintf(`{"callback":"c","idfa":"i","event_type":2,"outer_event_id":"%d-%d","pad":"%s"}`, n, i, pad)
					resp, err := http.Post(sim+prefix+"/track/activate/", "application/json", bytes.NewBufferString(body))
					if err != nil || resp.StatusCode != 200 {
						failed.Store(fmt.Sprint(n, i), err)
					}
					if err == nil {
						resp.Body.Close()
					}
				}()
			}
		}
		wg.Wait()
		failed.Range(func(k, v any) bool { b.Fatalf("request %v failed: %v", k, v); return false })
		metrics := getText(b, sim+"/metrics")
		budget, held := promValue(metrics, "postbacksim_memory_budget_bytes"), promValue(metrics, "postbacksim_memory_held_bytes")
		if held > budget {
			b.Fatalf("the namespaces hold %.0f bytes, over the %.0f budget", held, budget)
		}
		rss := float64(residentBytes(b, pid))
		ceiling := budget*1.25 + 64<<20
		b.ReportMetric(rss/(1<<20), "rss-MiB")
		b.ReportMetric(held/(1<<20), "held-MiB")
		b.ReportMetric(budget/(1<<20), "budget-MiB")
		b.ReportMetric(rss/ceiling, "rss/soft-limit")
		b.ReportMetric(promValue(metrics, "postbacksim_memory_evicted_total"), "evicted")
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkShippedIdleNamespaces opens 64 namespaces on `postbacksim serve
// --store redis://…` (default flags otherwise), lets it settle, and
// reports the CPU it uses idle over 10 s, as a share of one core, and
// the garbage collections meanwhile. Target: under 5 % of a core, no
// collection spiral.
//
//	go test ./bench -run '^$' -bench ShippedIdleNamespaces -benchtime 1x
func BenchmarkShippedIdleNamespaces(b *testing.B) {
	rs := redistest.Start(b)
	bin := build(b, b.TempDir(), "cmd/postbacksim")
	for range b.N {
		sim, pid := startProcess(b, bin, "serve", "--addr", "127.0.0.1:0", "--store", rs.URL(), "--store-prefix", fmt.Sprintf("idle%d:", time.Now().UnixNano()))
		for n := 1; n < 64; n++ {
			resp, err := http.Get(fmt.Sprintf("%s/ns/idle%d/track/activate/?callback=c&idfa=i&event_type=2", sim, n))
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
		time.Sleep(5 * time.Second) // real time: settle
		gc0 := promValue(getText(b, sim+"/metrics"), "go_gc_duration_seconds_count")
		cpu0 := cpuTicks(b, pid)
		time.Sleep(10 * time.Second) // real time: the measured idle window
		cpu1 := cpuTicks(b, pid)
		gc1 := promValue(getText(b, sim+"/metrics"), "go_gc_duration_seconds_count")
		b.ReportMetric(float64(cpu1-cpu0)/10/100*100, "%-of-a-core")
		b.ReportMetric(gc1-gc0, "GCs/10s")
		b.ReportMetric(0, "ns/op")
	}
}

// cpuTicks reads a process's utime + stime from /proc, in clock ticks
// (100 a second on Linux).
func cpuTicks(tb testing.TB, pid int) int64 {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var u, st int64
	fmt.Sscan(f[11], &u)
	fmt.Sscan(f[12], &st)
	return u + st
}
