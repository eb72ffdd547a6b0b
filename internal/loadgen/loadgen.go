// Package loadgen drives HTTP load from a fixed number of concurrent
// clients and reports throughput and latency percentiles. It is for
// benchmarks against servers on loopback; it sends a bounded number of
// requests and stops by itself.
package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one load run.
type Config struct {
	// Clients is the number of concurrent clients (default 50).
	Clients int
	// Requests is the total number of requests to send (default 10,000).
	Requests int
	// URL returns the URL of request i (0 ≤ i < Requests).
	URL func(i int) string
	// Method is the HTTP method; empty means GET.
	Method string
	// Body, when set, returns the body of request i, sent with
	// ContentType.
	Body        func(i int) []byte
	ContentType string
	// Rate, when positive, paces the run open-loop: request i is due at
	// start + i/Rate, whatever happened to earlier ones. When its client
	// is still busy at that time, its latency counts from when it was due,
	// not from when the client got round to sending it (no coordinated
	// omission); when the client is idle, it counts from the send. Zero sends as fast as the
	// clients can: the server's saturation throughput, and latency that
	// is mostly queueing.
	Rate float64
	// Check, when set, is called with the body of every answer (from the
	// client goroutines, concurrently): to count answers by content.
	Check func(body []byte)
	// Client sends the requests; nil means a keep-alive client sized for
	// Clients connections.
	Client *http.Client
}

// Result summarises a run.
type Result struct {
	Requests int
	Errors   int // transport errors and non-2xx answers
	Elapsed  time.Duration
	P50, P99 time.Duration
}

// RPS is the achieved request rate.
func (r Result) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("%d requests in %v: %.0f req/s, p50 %v, p99 %v, %d errors",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.RPS(), r.P50, r.P99, r.Errors)
}

// send sends request i of cfg.
func send(client *http.Client, cfg *Config, i int) (*http.Response, error) {
	method := cfg.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if cfg.Body != nil {
		body = bytes.NewReader(cfg.Body(i))
	}
	req, err := http.NewRequest(method, cfg.URL(i), body)
	if err != nil {
		return nil, err
	}
	if cfg.ContentType != "" {
		req.Header.Set("Content-Type", cfg.ContentType)
	}
	return client.Do(req)
}

// Run sends cfg.Requests requests from cfg.Clients goroutines. It
// measures wall-clock latency on purpose: that is what it reports.
// Unpaced, each client takes the next unsent request when it is free;
// paced, client c sends requests c, c+Clients, c+2·Clients, … in order.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 50
	}
	if cfg.Requests <= 0 {
		cfg.Requests = 10_000
	}
	if cfg.URL == nil {
		return Result{}, fmt.Errorf("loadgen: Config.URL is nil")
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			MaxIdleConns: cfg.Clients, MaxIdleConnsPerHost: cfg.Clients, MaxConnsPerHost: cfg.Clients,
		}}
		defer client.CloseIdleConnections()
	}
	if cfg.Rate < 0 {
		return Result{}, fmt.Errorf("loadgen: Config.Rate %v is negative", cfg.Rate)
	}
	var taken atomic.Int64
	next := func(c, prev int) int { // the request client c sends after prev (-1 first)
		if cfg.Rate > 0 {
			if prev < 0 {
				return c
			}
			return prev + cfg.Clients
		}
		return int(taken.Add(1) - 1)
	}
	var errs atomic.Int64
	lat := make([][]time.Duration, cfg.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, cfg.Requests/cfg.Clients+1)
			defer func() { lat[c] = mine }()
			for i := next(c, -1); i < cfg.Requests && ctx.Err() == nil; i = next(c, i) {
				t0 := time.Now()
				if cfg.Rate > 0 {
					due := start.Add(time.Duration(float64(i) / cfg.Rate * float64(time.Second)))
					if wait := due.Sub(t0); wait > 0 {
						select {
						case <-time.After(wait):
						case <-ctx.Done():
							return
						}
						// On time: the clock starts at the send, so the
						// timer's own lateness (milliseconds on some VMs)
						// is not counted against the server.
						t0 = time.Now()
					} else {
						// Behind: the clock started when the request was due.
						t0 = due
					}
				}
				resp, err := send(client, &cfg, i)
				if err != nil {
					errs.Add(1)
					continue
				}
				if cfg.Check != nil {
					body, _ := io.ReadAll(resp.Body)
					cfg.Check(body)
				} else {
					_, _ = io.Copy(io.Discard, resp.Body)
				}
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				if resp.StatusCode/100 != 2 {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	res := Result{Requests: len(all), Errors: int(errs.Load()), Elapsed: elapsed}
	if len(all) > 0 {
		res.P50 = all[len(all)*50/100]
		res.P99 = all[min(len(all)*99/100, len(all)-1)]
	}
	return res, ctx.Err()
}
