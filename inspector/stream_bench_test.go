package inspector_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/postbacksim/postbacksim/internal/loadgen"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
)

var benchStreams = flag.Int("bench-streams", 5, "BenchmarkStreamOverhead: the streams open on the watched sandbox (0: an A/A run, for the noise)")

// BenchmarkStreamOverhead loads /track/activate/ on two sandboxes, one
// with nobody on /_admin/stream and one with 5 streams open and read,
// in interleaved rounds (loadgen.CompareServers), and reports both
// throughputs and their ratio (with streams / without): the stream
// should cost the hot path at most 5 %.
//
//	go test ./inspector -run '^$' -bench StreamOverhead -benchtime 5x
func BenchmarkStreamOverhead(b *testing.B) {
	start := func() (*sandbox.Sandbox, *httptest.Server) {
		sb := sandbox.New(sandbox.Config{Ocean: mockocean.Config{JournalCapacity: 100_000}, SummaryEvery: -1})
		return sb, httptest.NewServer(sb)
	}
	quiet, quietSrv := start()
	watched, watchedSrv := start()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		quietSrv.Close()
		watchedSrv.Close()
		quiet.Close()
		watched.Close()
	}()
	var events atomic.Int64
	for range *benchStreams {
		req, _ := http.NewRequestWithContext(ctx, "GET", watchedSrv.URL+"/_admin/stream", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			// As a client elsewhere would: large reads, little work.
			buf := make([]byte, 256<<10)
			var tail []byte
			for {
				n, err := resp.Body.Read(buf)
				chunk := append(tail, buf[:n]...)
				events.Add(int64(bytes.Count(chunk, []byte("\nevent: ocean\n"))))
				tail = append([]byte(nil), chunk[max(0, len(chunk)-13):]...)
				if err != nil {
					return
				}
			}
		}()
	}
	var c loadgen.Comparison
	for b.Loop() {
		var err error
		c, err = loadgen.CompareServers(context.Background(), quietSrv.URL, watchedSrv.URL, 6, loadgen.Config{Clients: 50, Requests: 20_000},
			func(round, i int) string {
				return fmt.Sprintf("/track/activate/?callback=cb%d&idfa=FCD369C3-F622-44B8-AFDE-%012d&event_type=2&outer_event_id=e%d-%d-%d", i, i, i, round, b.N)
			})
		if err != nil {
			b.Fatal(err)
		}
	}
	if events.Load() == 0 && *benchStreams > 0 {
		b.Fatal("the streams received no event")
	}
	b.ReportMetric(c.BareRPS, "no-stream-req/s")
	b.ReportMetric(c.RPS, "with-streams-req/s")
	b.ReportMetric(c.Ratio(), "ratio")
	b.ReportMetric(float64(events.Load()), "events-streamed")
	b.ReportMetric(0, "ns/op")
}
