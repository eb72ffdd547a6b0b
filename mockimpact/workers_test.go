package mockimpact

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
)

// TestWorkersSendABurstAndEnd: on the wall clock a burst is sent by at
// most the slots' worth of workers, every attempt is made, and the
// workers end once nothing is queued. A virtual clock has no workers.
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
