package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestRunCountsEveryRequest(t *testing.T) {
	var hits atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%10 == 0 {
			w.WriteHeader(500)
		}
	}))
	defer hs.Close()
	res, err := Run(context.Background(), Config{Clients: 4, Requests: 100, URL: func(int) string { return hs.URL }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 100 || hits.Load() != 100 || res.Errors != 10 {
		t.Fatalf("%+v, server saw %d", res, hits.Load())
	}
	if res.P99 < res.P50 || res.RPS() <= 0 {
		t.Fatalf("percentiles %v %v", res.P50, res.P99)
	}
	if _, err := Run(context.Background(), Config{}); err == nil {
		t.Fatal("nil URL accepted")
	}
}

func TestCompare(t *testing.T) {
	c, err := Compare(context.Background(), BareSuccess(), 2, 4, 200, func(round, i int) string { return "/x" })
	if err != nil {
		t.Fatal(err)
	}
	if c.RPS <= 0 || c.BareRPS <= 0 || c.P99 <= 0 || c.Ratio() <= 0 {
		t.Fatalf("%+v", c)
	}
	failing := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
	if _, err := Compare(context.Background(), failing, 1, 2, 10, func(int, int) string { return "/" }); err == nil {
		t.Fatal("a failing handler compared without error")
	}
}
