package mockimpact_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// answerOK is a Transport that answers every request 200 "OK" in memory:
// what an attempt costs the dispatcher itself, without a network.
type answerOK struct{}

func (answerOK) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("OK"))}, nil
}

// BenchmarkAttempt makes live attempts (the live send path) through a
// transport that answers in memory, so that it measures the
// dispatcher's own work and allocations per attempt: claiming it,
// building the request, classifying and journaling the answer. The
// events are fired with the timer stopped, 10,000 at a time (so that the
// deliveries held stay bounded), due a virtual second later.
//
//	go test ./mockimpact -run '^$' -bench 'Attempt$' -benchmem -cpu 1
func BenchmarkAttempt(b *testing.B) {
	ev := fixtures.NewImpactGen(1, time.Time{}).ActionLifecycle()
	const chunk = 10_000
	for done := 0; done < b.N; {
		n := min(chunk, b.N-done)
		b.StopTimer()
		vc := clock.NewVirtual(time.Time{})
		d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: answerOK{}})
		if _, err := d.Configure(context.Background(), mockimpact.Postback{Event: "action_lifecycle", URL: "http://127.0.0.1:9/pb?aid={ActionId}", MinDelay: clock.Duration(time.Second)}); err != nil {
			b.Fatal(err)
		}
		for range n {
			if _, err := d.Fire(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		vc.Advance(time.Second) // every one is due
		if err := d.WaitForAttempts(context.Background(), n); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		d.Close()
		done += n
	}
}
