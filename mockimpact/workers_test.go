package mockimpact

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
)

// TestWorkersSendABurstAndEnd: on the wall clock a burst is sent by at
// most the slots' worth of workers, every attempt is made, and the
// workers end once nothing has been queued for workerLinger. A virtual
// clock has no workers.
func TestWorkersSendABurstAndEnd(t *testing.T) {
	if v := NewDispatcher(Options{Clock: clock.NewVirtual(time.Now()), Transport: http.DefaultTransport}); v.work != nil {
		t.Error("a dispatcher on a virtual clock has workers: its attempts would not run in turn")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond)
		w.Write([]byte("OK"))
	}))
	defer srv.Close()
	const bound, n = 4, 200
	d := NewDispatcher(Options{MaxInFlight: bound})
	defer d.Close()
	if d.work == nil {
		t.Fatal("no workers on the wall clock")
	}
	if _, err := d.Configure(context.Background(), Postback{Event: "job_completed", URL: srv.URL + "/jobs"}); err != nil {
		t.Fatal(err)
	}
	var most atomic.Int64
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			if w := d.workers.Load(); w > most.Load() {
				most.Store(w)
			}
			select {
			case <-stop:
				return
			default:
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	ev := fixtures.NewImpactGen(1, time.Time{}).JobCompleted()
	for range n {
		if _, err := d.Fire(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.WaitForAttempts(ctx, n); err != nil {
		t.Fatalf("waiting for %d attempts: %v", n, err)
	}
	close(stop)
	<-watched
	if m := most.Load(); m < 1 || m > bound {
		t.Errorf("at most %d workers ran at once, want 1 to %d", m, bound)
	}
	for deadline := time.Now().Add(5 * time.Second); d.workers.Load() != 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // real time: the workers are real goroutines
	}
	if w := d.workers.Load(); w != 0 {
		t.Errorf("%d workers still running with nothing queued", w)
	}
}

// TestWorkersNeverStrandAnAttempt: with one slot, events fired from many
// goroutines while the only worker comes and goes are all delivered: no
// claimed attempt is left queued without a worker to run it (which,
// holding the one slot, would stop every later one).
func TestWorkersNeverStrandAnAttempt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("OK")) }))
	defer srv.Close()
	for _, slots := range []int{1, 2} {
		d := NewDispatcher(Options{MaxInFlight: slots})
		if _, err := d.Configure(context.Background(), Postback{Event: "job_completed", URL: srv.URL + "/jobs"}); err != nil {
			t.Fatal(err)
		}
		ev := fixtures.NewImpactGen(1, time.Time{}).JobCompleted()
		const firers, each = 8, 150
		var wg sync.WaitGroup
		for range firers {
			wg.Go(func() {
				for range each {
					if _, err := d.Fire(context.Background(), ev); err != nil {
						t.Error(err)
						return
					}
					if rand.N(4) == 0 {
						time.Sleep(time.Duration(rand.N(200)) * time.Microsecond) // let the worker run dry and end
					}
				}
			})
		}
		wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := d.WaitForAttempts(ctx, firers*each); err != nil {
			t.Errorf("%d slots: waiting for %d attempts: %v (queued %d, workers %d, busy %d)", slots, firers*each, err, len(d.work), d.workers.Load(), d.busy.Load())
		}
		cancel()
		if w := d.workers.Load(); w > int64(slots) {
			t.Errorf("%d slots: %d workers counted", slots, w)
		}
		d.Close()
	}
}

// TestCountWorkerNeverGoesOverTheSlots: however many goroutines ask at
// once, exactly the slots' worth are counted, and the count never reads
// over it (a start that saw it full leaves its attempt to a counted
// worker, which must be real).
func TestCountWorkerNeverGoesOverTheSlots(t *testing.T) {
	d := &Dispatcher{work: make(chan Claim, 4)}
	var counted, over atomic.Int32
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			if d.workers.Load() > 4 {
				over.Add(1)
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if d.countWorker() {
				counted.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-watched
	if counted.Load() != 4 || d.workers.Load() != 4 || over.Load() != 0 {
		t.Errorf("%d counted, count %d, seen over the slots %d times; want 4, 4, 0", counted.Load(), d.workers.Load(), over.Load())
	}
}
