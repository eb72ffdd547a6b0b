package bench

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkShippedDispatch measures impact live dispatch through what
// users run: `postbacksim serve` with default flags fires 40,000
// action_lifecycle events (8 batches of 5,000, at once) to a bare
// receiver (bench/bare) on loopback, and the benchmark waits until every
// delivery is made. Two ways:
//
//   - steady: the events are fired while the first ones are sent (no
//     minimum delay): attempts/s counts firing and sending together;
//   - burst: the postback has a minimum delay longer than firing takes,
//     so every event is fired before the first is due: attempts/s counts
//     from the first due time to the last attempt, sending alone.
//
// Beside them, a bare Go client sends the same GET requests to the same
// receiver with the same concurrency (64, serve's --max-in-flight): the
// limit of sending on this machine. It reports attempts/s, their ratio
// to the bare client (target ≥ 0.8), the serve process's allocations per
// attempt (from its /metrics), and CPU per attempt: serve's (from
// /proc), the bare client's (this process's own), and the receiver's
// under each. Each of -benchtime's N rounds starts a serve process of its
// own; the figures are the medians over the rounds, and the log has each
// round's ratios.
//
//	go test ./bench -run '^$' -bench ShippedDispatch -benchtime 3x -v
func BenchmarkShippedDispatch(b *testing.B) {
	dir := b.TempDir()
	bin := build(b, dir, "cmd/postbacksim")
	recv, recvPID := startProcess(b, build(b, dir, "bench/bare"), "--addr", "127.0.0.1:0")
	const batches, per, n = 8, 5000, 8 * 5000
	perAttempt := func(ticks int64) float64 { return float64(ticks) * 1e4 / n } // ticks are 10 ms
	// Each round's figures, reported as medians over the rounds (b.N).
	rounds := map[string][]float64{}
	record := func(v float64, unit string) { rounds[unit] = append(rounds[unit], v) }
	for round := range b.N {
		sim, simPID := startProcess(b, bin, "serve", "--addr", "127.0.0.1:0")

		// steady
		configure(b, sim, recv, "0s")
		mallocs0 := promValue(getText(b, sim+"/metrics"), "go_memstats_mallocs_total")
		simCPU0, recvCPU0 := cpuTicks(b, simPID), cpuTicks(b, recvPID)
		start := time.Now()
		fired := fire(b, sim, batches, per)
		waitDelivered(b, sim, n)
		took := time.Since(start)
		simCPU, recvCPU := cpuTicks(b, simPID)-simCPU0, cpuTicks(b, recvPID)-recvCPU0
		mallocs := promValue(getText(b, sim+"/metrics"), "go_memstats_mallocs_total") - mallocs0

		// burst: fired within the delay, sent after it
		const delay = 6 * time.Second
		clearDeliveries(b, sim)
		configure(b, sim, recv, delay.String())
		fireStart := time.Now()
		burstFired := fire(b, sim, batches, per)
		if burstFired > delay-time.Second {
			b.Fatalf("firing took %v: not a burst after a delay of %v", burstFired, delay)
		}
		time.Sleep(time.Until(fireStart.Add(delay - 200*time.Millisecond))) // real time: the first is due at fireStart + delay at the earliest
		burstCPU0, burstRecv0 := cpuTicks(b, simPID), cpuTicks(b, recvPID)
		waitDelivered(b, sim, 2*n)
		burstTook := time.Since(fireStart.Add(delay))
		burstCPU, burstRecv := cpuTicks(b, simPID)-burstCPU0, cpuTicks(b, recvPID)-burstRecv0

		// The limit: a bare client, the same requests, the same concurrency.
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		var next atomic.Int64
		selfCPU0, bareRecv0 := selfCPU(b), cpuTicks(b, recvPID)
		bareStart := time.Now()
		var cw sync.WaitGroup
		for range 64 {
			cw.Go(func() {
				for i := next.Add(1); i <= n; i = next.Add(1) {
					resp, err := client.Get(fmt.Sprintf("%s/track/activate/?aid=ACT-%d", recv, i))
					if err != nil {
						b.Errorf("bare client: %v", err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		cw.Wait()
		bareTook := time.Since(bareStart)
		bareCPU, bareRecv := selfCPU(b)-selfCPU0, cpuTicks(b, recvPID)-bareRecv0

		rate, burstRate, bareRate := n/took.Seconds(), n/burstTook.Seconds(), n/bareTook.Seconds()
		record(rate, "steady-attempts/s")
		record(rate/bareRate, "steady-ratio")
		record(burstRate, "burst-attempts/s")
		record(burstRate/bareRate, "burst-ratio")
		record(bareRate, "bare-client-req/s")
		record(n/fired.Seconds(), "fired-events/s")
		record(mallocs/n, "allocs/attempt-with-firing")
		record(perAttempt(simCPU), "serve-cpu-µs/attempt-with-firing")
		record(perAttempt(burstCPU), "serve-cpu-µs/attempt-burst")
		record(float64(bareCPU.Microseconds())/n, "bare-client-cpu-µs/req")
		record(perAttempt(recvCPU), "receiver-cpu-µs/req-steady")
		record(perAttempt(burstRecv), "receiver-cpu-µs/req-burst")
		record(perAttempt(bareRecv), "receiver-cpu-µs/req-bare")
		b.Logf("round %d of %d: burst %.2f, steady %.2f of the bare client's %.0f req/s", round+1, b.N, burstRate/bareRate, rate/bareRate, bareRate)
	}
	for unit, vs := range rounds {
		b.ReportMetric(median(vs), unit)
	}
	b.ReportMetric(0, "ns/op")
}

// configure sets sim's action_lifecycle postback to a GET to recv, sent
// minDelay after the event.
func configure(tb testing.TB, sim, recv, minDelay string) {
	tb.Helper()
	put, _ := http.NewRequest("PUT", sim+"/_admin/impact/postbacks/action_lifecycle",
		strings.NewReader(`{"url":"`+recv+`/track/activate/?aid={ActionId}","method":"GET","format":"none","min_delay":"`+minDelay+`"}`))
	resp, err := http.DefaultClient.Do(put)
	if err != nil {
		tb.Fatalf("configure: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		tb.Fatalf("configure: %s", resp.Status)
	}
}

// clearDeliveries forgets sim's ended deliveries.
func clearDeliveries(tb testing.TB, sim string) {
	tb.Helper()
	req, _ := http.NewRequest("DELETE", sim+"/_admin/impact/deliveries", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		tb.Fatalf("clearing the deliveries: %v", err)
	}
	resp.Body.Close()
}

// fire fires batches × per action_lifecycle events, the batches at once,
// and returns how long it took.
func fire(tb testing.TB, sim string, batches, per int) time.Duration {
	tb.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	for range batches {
		wg.Go(func() {
			resp, err := http.Post(fmt.Sprintf("%s/_admin/impact/events/action_lifecycle?count=%d", sim, per), "", nil)
			if err != nil {
				tb.Errorf("fire: %v", err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 202 {
				tb.Errorf("fire: %s", resp.Status)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// waitDelivered waits until sim has no pending delivery and has made at
// least attempts attempts.
func waitDelivered(tb testing.TB, sim string, attempts int) {
	tb.Helper()
	start := time.Now()
	for {
		var out struct {
			Stats struct{ Pending, Attempts int }
		}
		getJSON(tb, sim+"/_admin/impact/deliveries?limit=1", &out)
		if out.Stats.Pending == 0 && out.Stats.Attempts >= attempts {
			return
		}
		if time.Since(start) > 2*time.Minute {
			tb.Fatalf("deliveries not done after 2 minutes: %+v", out.Stats)
		}
		time.Sleep(10 * time.Millisecond) // real time: the deliveries go out
	}
}

// selfCPU is the user and system CPU time this process has used.
func selfCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
