package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"time"
)

// BareSuccess is the baseline every emulator is compared with: a bare
// net/http handler that writes Ocean Engine's success JSON.
func BareSuccess() http.Handler {
	success := []byte(`{"code":0,"ret":0,"msg":"success"}`)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(success)
	})
}

// Comparison is a server measured against BareSuccess in one run.
type Comparison struct {
	BareRPS, RPS float64
	// BareP50 and P50, BareP99 and P99 are the medians of each round's
	// percentiles.
	BareP50, P50 time.Duration
	BareP99, P99 time.Duration
}

// Ratio is the handler's throughput as a share of the bare handler's.
func (c Comparison) Ratio() float64 { return c.RPS / c.BareRPS }

// Compare serves h and BareSuccess on loopback and loads them in turn,
// rounds times, each round a run of load (its Clients, Requests, Rate,
// Method, Body and ContentType; its URL is ignored). path(round, i) is
// the path and query of request i: vary it per round when the handler
// remembers what it saw (dedup ids).
func Compare(ctx context.Context, h http.Handler, rounds int, load Config, path func(round, i int) string) (Comparison, error) {
	bare := httptest.NewServer(BareSuccess())
	defer bare.Close()
	target := httptest.NewServer(h)
	defer target.Close()
	return CompareServers(ctx, bare.URL, target.URL, rounds, load, path)
}

// CompareServers is Compare for servers already running, at base URLs
// bareURL and targetURL (http://HOST:PORT): processes of their own, such
// as the shipped binary. Rounds alternate bare, target, bare, target…,
// so both meet the same machine; throughput is over all rounds, and the
// percentiles are the medians of the rounds'.
func CompareServers(ctx context.Context, bareURL, targetURL string, rounds int, load Config, path func(round, i int) string) (Comparison, error) {
	var elapsed [2]time.Duration
	var p50s, p99s [2][]time.Duration
	var sent int
	for round := range rounds {
		for k, base := range []string{bareURL, targetURL} {
			cfg := load
			cfg.URL = func(i int) string { return base + path(round, i) }
			res, err := Run(ctx, cfg)
			if err != nil {
				return Comparison{}, err
			}
			if res.Errors > 0 {
				return Comparison{}, fmt.Errorf("%d requests to %s failed", res.Errors, base)
			}
			if k == 0 {
				sent += res.Requests
			}
			elapsed[k] += res.Elapsed
			p50s[k] = append(p50s[k], res.P50)
			p99s[k] = append(p99s[k], res.P99)
		}
	}
	n := float64(sent)
	median := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	return Comparison{
		BareRPS: n / elapsed[0].Seconds(), RPS: n / elapsed[1].Seconds(),
		BareP50: median(p50s[0]), P50: median(p50s[1]),
		BareP99: median(p99s[0]), P99: median(p99s[1]),
	}, nil
}

// MetricReporter is what Report needs of a *testing.B.
type MetricReporter interface {
	ReportMetric(n float64, unit string)
}

// Report records c as benchmark metrics, the handler named name:
// requests/s and p99 of both, and their ratio.
func (c Comparison) Report(b MetricReporter, name string) {
	b.ReportMetric(c.BareRPS, "bare-req/s")
	b.ReportMetric(c.RPS, name+"-req/s")
	b.ReportMetric(c.Ratio(), "ratio")
	b.ReportMetric(float64(c.BareP50.Microseconds()), "bare-p50-µs")
	b.ReportMetric(float64(c.P50.Microseconds()), name+"-p50-µs")
	b.ReportMetric(float64(c.BareP99.Microseconds()), "bare-p99-µs")
	b.ReportMetric(float64(c.P99.Microseconds()), name+"-p99-µs")
	b.ReportMetric(float64(c.P99)/float64(c.BareP99), "p99-ratio")
	b.ReportMetric(0, "ns/op")
}
