package mockimpact

import (
	"time"
)

// Delivery is one event's delivery: every attempt made so far.
type Delivery struct {
	ID    string    `json:"id"`
	Event string    `json:"event"`
	Fired time.Time `json:"fired"`
	// Outcome is pending until the delivery ends.
	Outcome  DeliveryOutcome `json:"outcome"`
	Attempts []Attempt       `json:"attempts"`
	// Request is what every attempt sends.
	Request *Rendered `json:"request"`
	// UpdateOf names the delivery this one updates: a PENDING
	// publisher_application delivered with empty data points is followed
	// by an update filling them (docs/platforms.md#d-impact-application-update).
	UpdateOf string `json:"update_of,omitempty"`
	// Hops are the hop markers of the request that fired the event
	// (HopHeader): every attempt sends them on, followed by the
	// dispatcher's own (Options.Hop).
	Hops []string `json:"hops,omitempty"`
}

// Attempt is one try at sending a delivery, as the journal records it.
type Attempt struct {
	DeliveryID string `json:"delivery_id"`
	Event      string `json:"event"`
	// N counts attempts from 1.
	N int `json:"n"`
	// Scheduled is when the attempt was due; Actual when it was sent (later
	// if the rate limit held it back). Offset is Actual minus the first
	// attempt's Actual.
	Scheduled time.Time     `json:"scheduled"`
	Actual    time.Time     `json:"actual"`
	Offset    time.Duration `json:"offset_ns"`
	// RateLimited is how long the rate limit delayed the attempt.
	RateLimited time.Duration `json:"rate_limited_ns,omitempty"`
	// Queued is how long a live attempt waited for one of the
	// dispatcher's MaxInFlight slots. Actual = Scheduled + RateLimited +
	// Queued (plus a timer's lateness on the wall clock).
	Queued time.Duration `json:"queued_ns,omitempty"`

	// Status and ResponseBody (an excerpt) describe the answer, if any.
	Status       int           `json:"status,omitempty"`
	ResponseBody string        `json:"response_body,omitempty"`
	Latency      time.Duration `json:"latency_ns"`
	// Error and ErrorKind describe a failure to get an answer.
	Error     string `json:"error,omitempty"`
	ErrorKind string `json:"error_kind,omitempty"`

	Outcome Outcome `json:"outcome"`
	// Retry says another attempt follows, due at Next.
	Retry bool       `json:"retry"`
	Next  *time.Time `json:"next,omitempty"`
	// Flagged marks an unconfirmed attempt for a person to look at.
	Flagged bool `json:"flagged,omitempty"`
	// Replica names the replica that sent the attempt, when the
	// deliveries are shared (Options.Deliveries, Sharing.Replica).
	Replica string `json:"replica,omitempty"`
	// TakenOverFrom names the replica that had claimed this attempt and
	// whose lease ended before it journaled it (it died, or stalled): it
	// may have sent the attempt too, so the receiver may have it twice.
	TakenOverFrom string `json:"taken_over_from,omitempty"`
}

// responseExcerpt bounds ResponseBody.
const responseExcerpt = 512

// Offsets returns each attempt's offset from the first.
func (d Delivery) Offsets() []time.Duration {
	out := make([]time.Duration, len(d.Attempts))
	for i, a := range d.Attempts {
		out[i] = a.Offset
	}
	return out
}

// Outcomes returns each attempt's outcome.
func (d Delivery) Outcomes() []Outcome {
	out := make([]Outcome, len(d.Attempts))
	for i, a := range d.Attempts {
		out[i] = a.Outcome
	}
	return out
}

// Done reports whether the delivery has ended.
func (d Delivery) Done() bool { return d.Outcome != DeliveryPending }
