package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsEveryRequest(t *testing.T) {
	var hits atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%10 == 0 {
			w.WriteHeader(500)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer hs.Close()
	var checked atomic.Int64
	res, err := Run(context.Background(), Config{Clients: 4, Requests: 100, URL: func(int) string { return hs.URL },
		Check: func(body []byte) {
			if string(body) == "ok" {
				checked.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 100 || hits.Load() != 100 || res.Errors != 10 || checked.Load() != 90 {
		t.Fatalf("%+v, server saw %d, Check saw %d ok", res, hits.Load(), checked.Load())
	}
	if res.P99 < res.P50 || res.RPS() <= 0 {
		t.Fatalf("percentiles %v %v", res.P50, res.P99)
	}
	if _, err := Run(context.Background(), Config{}); err == nil {
		t.Fatal("nil URL accepted")
	}
}

func TestCompare(t *testing.T) {
	c, err := Compare(context.Background(), BareSuccess(), 2, Config{Clients: 4, Requests: 200}, func(round, i int) string { return "/x" })
	if err != nil {
		t.Fatal(err)
	}
	if c.RPS <= 0 || c.BareRPS <= 0 || c.P99 <= 0 || c.Ratio() <= 0 {
		t.Fatalf("%+v", c)
	}
	failing := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
	if _, err := Compare(context.Background(), failing, 1, Config{Clients: 2, Requests: 10}, func(int, int) string { return "/" }); err == nil {
		t.Fatal("a failing handler compared without error")
	}
}

func TestPacedRunKeepsToItsSchedule(t *testing.T) {
	hs := httptest.NewServer(BareSuccess())
	defer hs.Close()
	// 40 requests at 400/s: the last one is due 97.5 ms after the start,
	// so the run cannot be shorter, however fast the server.
	res, err := Run(context.Background(), Config{Clients: 4, Requests: 40, Rate: 400, URL: func(int) string { return hs.URL }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 40 || res.Errors != 0 {
		t.Fatalf("%+v", res)
	}
	if res.Elapsed < 97*time.Millisecond {
		t.Fatalf("paced run took %v, want at least 97.5ms", res.Elapsed)
	}
	if _, err := Run(context.Background(), Config{Rate: -1, URL: func(int) string { return hs.URL }}); err == nil {
		t.Fatal("negative rate accepted")
	}
}

func TestPacedLatencyCountsFromTheDueTime(t *testing.T) {
	// One client, a server that takes 20 ms, requests due every 1 ms: the
	// client falls behind, and the latency of request 9 counts the time it
	// waited behind the others (about 9×20 − 9 ms), not just its own 20 ms.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	defer hs.Close()
	res, err := Run(context.Background(), Config{Clients: 1, Requests: 10, Rate: 1000, URL: func(int) string { return hs.URL }})
	if err != nil {
		t.Fatal(err)
	}
	if res.P99 < 150*time.Millisecond {
		t.Fatalf("p99 %v: the wait behind earlier requests was not counted", res.P99)
	}
}

// TestRunSendsBodies: Method, Body and ContentType shape each request.
func TestRunSendsBodies(t *testing.T) {
	var good atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost && r.Header.Get("Content-Type") == "application/json" && strings.HasPrefix(string(b), `{"i":`) {
			good.Add(1)
		}
	}))
	defer hs.Close()
	res, err := Run(context.Background(), Config{Clients: 3, Requests: 30, URL: func(int) string { return hs.URL },
		Method: http.MethodPost, ContentType: "application/json", Body: func(i int) []byte { return []byte(fmt.Sprintf(`{"i":%d}`, i)) }})
	if err != nil || res.Requests != 30 || good.Load() != 30 {
		t.Fatalf("%+v %v: %d well-formed POSTs of 30", res, err, good.Load())
	}
}
