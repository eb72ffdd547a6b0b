package mockimpact_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// BenchmarkVirtualSchedule runs 10,000 deliveries × 16 attempts (every
// attempt fails, so each runs the whole 30h51m45s schedule) on the
// virtual clock. Target: under 2 s per iteration. It also reports the
// heap held per pending delivery after the first attempts.
//
//	go test ./mockimpact -run '^$' -bench VirtualSchedule -benchtime 3x
func BenchmarkVirtualSchedule(b *testing.B) {
	const n = 10_000
	gen := fixtures.NewImpactGen(1, time.Time{})
	events := make([]fixtures.Event, n)
	for i := range events {
		events[i] = gen.ActionLifecycle()
	}
	script := mockimpact.NewScript(mockimpact.Step{Status: 500})
	script.Discard()
	var perPending float64
	b.ResetTimer()
	for range b.N {
		vc := clock.NewVirtual(time.Time{})
		d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script})
		if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}"}); err != nil {
			b.Fatal(err)
		}
		before := heap()
		for _, ev := range events {
			if _, err := d.Fire(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
		vc.Advance(time.Second) // every delivery has made its first attempt and waits for the next
		perPending = float64(heap()-before) / n
		vc.RunUntilIdle(0)
		if st := stats(b, d); st.Attempts != n*16 || st.Pending != 0 {
			b.Fatalf("stats %+v", st)
		}
		d.Close()
	}
	b.ReportMetric(perPending, "bytes/pending-delivery")
	b.ReportMetric(float64(n*16*b.N)/b.Elapsed().Seconds(), "attempts/s")
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkLiveDispatch delivers to a local receiver over loopback on the
// wall clock and reports attempts per second. Each iteration fires a
// burst of 20,000 events at once and waits for every attempt, so the
// figure is the same at -benchtime 3x as at 30x.
func BenchmarkLiveDispatch(b *testing.B) {
	const burst = 20_000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("OK")) }))
	defer srv.Close()
	ev := fixtures.NewImpactGen(1, time.Time{}).ActionLifecycle()
	var elapsed time.Duration
	for range b.N {
		d := mockimpact.NewDispatcher(mockimpact.Options{})
		if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: "action_lifecycle", URL: srv.URL + "/pb?aid={ActionId}"}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for range burst {
			if _, err := d.Fire(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
		if err := d.WaitForAttempts(context.Background(), burst); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		// Every event is fired at once: without the in-flight bound, the
		// emulator ran out of sockets and journaled network errors.
		for _, dl := range deliveries(b, d) {
			if dl.Outcome != mockimpact.DeliveryDelivered {
				b.Fatalf("%s: %s after %d attempt(s): %s", dl.ID, dl.Outcome, len(dl.Attempts), dl.Attempts[0].Error)
			}
		}
		d.Close()
	}
	b.ReportMetric(float64(burst*b.N)/elapsed.Seconds(), "attempts/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRateLimitAccuracy fires a burst far larger than the limit and
// measures the achieved send rate over a 10 s virtual window. Target:
// within 2% of max_rps.
func BenchmarkRateLimitAccuracy(b *testing.B) {
	const maxRPS, window = 250.0, 10 * time.Second
	var achieved float64
	for range b.N {
		vc := clock.NewVirtual(time.Time{})
		script := mockimpact.NewScript()
		d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script})
		d.Configure(context.Background(), mockimpact.Postback{Event: "job_completed", URL: "https://brand.example/jobs", MaxRPS: maxRPS})
		ev := fixtures.NewImpactGen(1, time.Time{}).JobCompleted()
		for range int(maxRPS * 20) { // twice what the window can take
			d.Fire(context.Background(), ev)
		}
		vc.AdvanceTo(clock.Epoch.Add(window - time.Nanosecond)) // sends in [0, 10s)
		achieved = float64(stats(b, d).Attempts) / window.Seconds()
		d.Close()
	}
	b.ReportMetric(achieved, "achieved-rps")
	b.ReportMetric(100*(achieved-maxRPS)/maxRPS, "error-%")
}
