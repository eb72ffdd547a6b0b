package runner

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
)

func steps(t *testing.T, list string) []mockimpact.Step {
	t.Helper()
	s, err := mockimpact.ParseSteps(list)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDeliverVirtual(t *testing.T) {
	var attempts, fired int
	got, err := Deliver(context.Background(), DeliverySetup{
		Postback:    mockimpact.Postback{Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}", Method: "GET"},
		Seed:        7,
		Fire:        2,
		Receiver:    steps(t, "200"),
		PerDelivery: [][]mockimpact.Step{steps(t, "500,500,200")},
		OnAttempt:   func(mockimpact.Attempt) { attempts++ },
		OnFire: func(dl mockimpact.Delivery) {
			if dl.Request.Method != "GET" || len(dl.Attempts) != 0 {
				t.Errorf("OnFire saw %+v", dl)
			}
			fired++
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 2 || len(got.Deliveries) != 2 || fired != 2 {
		t.Fatalf("%d events, %d deliveries, OnFire %d times", len(got.Events), len(got.Deliveries), fired)
	}
	if n := len(got.Deliveries[0].Attempts); n != 3 || got.Deliveries[0].Outcome != mockimpact.DeliveryDelivered {
		t.Fatalf("delivery 1 (scripted 500,500,200): %d attempts, %s", n, got.Deliveries[0].Outcome)
	}
	if n := len(got.Deliveries[1].Attempts); n != 1 {
		t.Fatalf("delivery 2 (receiver 200): %d attempts", n)
	}
	if attempts != 4 || len(got.Received) != 4 {
		t.Fatalf("OnAttempt %d times, %d received; want 4 and 4", attempts, len(got.Received))
	}
	if got.Events[0].EventName() != "action_lifecycle" || reflect.DeepEqual(got.Events[0], got.Events[1]) {
		t.Fatalf("events %+v: want two action_lifecycle events from seeds 7 and 8", got.Events)
	}
}

func TestDeliverStages(t *testing.T) {
	_, err := Deliver(context.Background(), DeliverySetup{Postback: mockimpact.Postback{Event: "action_lifecycle", URL: "https://b/{Nope}"}})
	var de *DeliverError
	if !errors.As(err, &de) || de.Stage != StageConfigure || Cause(err) != de.Err {
		t.Fatalf("bad URL template: %v", err)
	}
	_, err = Deliver(context.Background(), DeliverySetup{Live: true, Postback: mockimpact.Postback{Event: "action_lifecycle", URL: "https://b/"}})
	if !errors.As(err, &de) || de.Stage != StageConfigure {
		t.Fatalf("live without a time scale: %v", err)
	}
}

func TestDeliverLive(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	p := mockimpact.Postback{Event: "action_lifecycle", URL: srv.URL + "/pb", Method: "GET"}
	got, err := Deliver(context.Background(), DeliverySetup{Postback: p, Live: true, TimeScale: 1000, LiveTimeout: time.Minute})
	if err != nil || len(got.Deliveries) != 1 || len(got.Deliveries[0].Attempts) != 2 || got.Received != nil {
		t.Fatalf("%v: %+v", err, got)
	}
	// A wait that stops cancels what is pending and says so.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer failing.Close()
	p.URL = failing.URL + "/pb"
	got, err = Deliver(ctx, DeliverySetup{Postback: p, Live: true, TimeScale: 1})
	var de *DeliverError
	if !errors.As(err, &de) || de.Stage != StageWait || got.Cancelled != 1 || got.Deliveries[0].Outcome != mockimpact.DeliveryCancelled {
		t.Fatalf("stopped wait: %v, cancelled %d, %+v", err, got.Cancelled, got.Deliveries)
	}
}
