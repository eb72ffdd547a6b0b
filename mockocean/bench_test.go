package mockocean_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/loadgen"
	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
)

// BenchmarkLoopbackLoad compares /track/activate/ (decode, validate,
// dedup, journal) with a bare net/http handler that writes the same
// success JSON, both over loopback from 50 keep-alive clients, in one
// run. Each iteration sends 20,000 requests to each, alternating.
//
//	go test ./mockocean -run '^$' -bench LoopbackLoad -benchtime 5x
func BenchmarkLoopbackLoad(b *testing.B) {
	const requests = 20_000
	paths := fixtures.NewOceanGen(11).ConversionURLs(mockocean.ActivatePath, requests)
	c, err := loadgen.Compare(context.Background(), mockocean.New(mockocean.Config{JournalCapacity: 100_000}), b.N, loadgen.Config{Clients: 50, Requests: requests},
		func(round, i int) string { return paths[i] + "-" + strconv.Itoa(round) }) // fresh outer_event_ids each round
	if err != nil {
		b.Fatal(err)
	}
	c.Report(b, "ocean")
}

// BenchmarkLoopbackLatency is BenchmarkLoopbackLoad paced open-loop at
// fixed offered rates below saturation, as a real uploader would send:
// the p99 it reports is the service time plus what queueing that rate
// causes, counted from each request's due time.
//
//	go test ./mockocean -run '^$' -bench LoopbackLatency -benchtime 3x
func BenchmarkLoopbackLatency(b *testing.B) {
	for _, rate := range []int{2_000, 5_000, 10_000} {
		b.Run(strconv.Itoa(rate)+"rps", func(b *testing.B) {
			requests := rate * 2 // two seconds a round
			paths := fixtures.NewOceanGen(11).ConversionURLs(mockocean.ActivatePath, requests)
			c, err := loadgen.Compare(context.Background(), mockocean.New(mockocean.Config{JournalCapacity: 100_000}), b.N,
				loadgen.Config{Clients: 50, Requests: requests, Rate: float64(rate)},
				func(round, i int) string { return paths[i] + "-" + strconv.Itoa(round) })
			if err != nil {
				b.Fatal(err)
			}
			c.Report(b, "ocean")
		})
	}
}

// BenchmarkActivateHandler measures one request through the handler, no
// network.
func BenchmarkActivateHandler(b *testing.B) {
	srv := mockocean.New(mockocean.Config{JournalCapacity: 10_000})
	urls := fixtures.NewOceanGen(11).ConversionURLs(mockocean.ActivatePath, 4096)
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
// the heap the filter holds per id (the ids' own strings are the
// caller's), and what it accounts for in DedupStats.Bytes; it fails when
// the two differ by more than a quarter.
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
		perID := float64(after-before) / n
		accounted := float64(testtb.Must(srv.DedupStats(context.Background())).Bytes) / n
		b.ReportMetric(perID, "bytes/id")
		b.ReportMetric(accounted, "accounted-bytes/id")
		if accounted < perID*0.75 || accounted > perID*1.25 {
			b.Errorf("the filter accounts %.1f bytes an id and holds %.1f", accounted, perID)
		}
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

// BenchmarkV2Handler is BenchmarkActivateHandler for /api/v2/conversion:
// the SDK's body (a JSON document with a unique outer_event_id), decoded,
// validated, deduplicated, journaled and answered.
func BenchmarkV2Handler(b *testing.B) {
	srv := mockocean.New(mockocean.Config{JournalCapacity: 10_000})
	bodies := make([][]byte, 4096)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"event_type":"active_pay","context":{"ad":{"callback":"EJiw267wvfQCGKf2g74ZIPD89-vIATAMOAFCIjIwMTkxMTI3MTQxMTEzMDEwMDI2MDc3MjE1MTUwNTczNTBIAQ==","attributed":false},`+
			`"device":{"imei":"0c2bd03c39f19845bf54ea0abafae70e"}},"properties":{"pay_amount":600,"order_id":"o-%d"},"timestamp":1764988800123,"outer_event_id":"e-%d"}`, i, i)
	}
	body := bytes.NewReader(nil)
	req := httptest.NewRequest(http.MethodPost, mockocean.V2Path, body)
	req.Header.Set("Content-Type", "application/json")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		body.Reset(bodies[i%len(bodies)])
		req.ContentLength = int64(body.Len())
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if i < len(bodies) && w.Code != http.StatusOK {
			b.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
		i++
	}
}
