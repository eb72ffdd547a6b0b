package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// DeliverySetup describes impact.com deliveries to make through the
// reference dispatcher: on a virtual clock against a scripted receiver
// (the default), or live against a real receiver on a scaled clock.
type DeliverySetup struct {
	// Postback is the brand's configuration, its URL final (no
	// placeholders left).
	Postback mockimpact.Postback
	// Event is the event type fired; empty means Postback.Event.
	Event string
	// Seed generates the first event's payload; event i (0-based) is
	// generated with Seed+i.
	Seed int64
	// Status is the status of the events generated (fixtures.StatusesOf);
	// empty means the event's default.
	Status string
	// Fire is how many events are fired, one delivery each; 0 means 1.
	Fire int
	// Receiver scripts the receiver's answers, one per attempt, the last
	// repeating (virtual runs only).
	Receiver []mockimpact.Step
	// PerDelivery[i], when not empty, replaces Receiver for delivery i in
	// firing order (virtual runs only).
	PerDelivery [][]mockimpact.Step
	// Live sends the requests for real, on a clock TimeScale times faster
	// than real time; Receiver and PerDelivery are not used.
	Live bool
	// TimeScale compresses the live schedule K times (Live only); it must
	// be positive.
	TimeScale float64
	// LiveTimeout bounds the live wait in real time; 0 means only ctx
	// bounds it.
	LiveTimeout time.Duration
	// OnAttempt, when set, is called after every attempt, as
	// mockimpact.Options.OnAttempt.
	OnAttempt func(mockimpact.Attempt)
	// OnFire, when set, is called after each event is fired, with its
	// delivery as it stands then (the rendered request, no attempt yet on
	// a virtual clock).
	OnFire func(mockimpact.Delivery)
}

// Deliveries is what Deliver made.
type Deliveries struct {
	// Events are the events fired, in firing order, then the updates the
	// dispatcher fired itself: Events[i] is the payload of Deliveries[i].
	Events []fixtures.Event
	// Deliveries are their deliveries, in firing order.
	Deliveries []mockimpact.Delivery
	// Received are the requests the scripted receiver got (nil when Live).
	Received []mockimpact.Received
	// Cancelled is how many live deliveries were cancelled because the
	// wait stopped (ctx done or LiveTimeout passed).
	Cancelled int
}

// Stage names the step of Deliver that failed.
type Stage string

// The stages of Deliver, in order.
const (
	// StageConfigure: the postback configuration was refused.
	StageConfigure Stage = "configure"
	// StageEvent: the event could not be generated.
	StageEvent Stage = "event"
	// StageFire: the dispatcher refused the event.
	StageFire Stage = "fire"
	// StageSettle: the virtual clock did not settle within
	// clock.MaxFirings timer firings.
	StageSettle Stage = "settle"
	// StageWait: the live wait stopped before every delivery finished.
	StageWait Stage = "wait"
)

// DeliverError is the error of Deliver: the stage that failed and why.
// After StageSettle and StageWait the Deliveries returned are complete
// as far as the run went.
type DeliverError struct {
	Stage Stage
	Err   error
}

// Error names the stage and the cause.
func (e *DeliverError) Error() string {
	return fmt.Sprintf("deliver: %s: %v", e.Stage, e.Err)
}

// Unwrap returns the cause.
func (e *DeliverError) Unwrap() error { return e.Err }

// Cause returns the cause of a *DeliverError in err's chain, or err
// itself: what callers print when the stage is already clear to the user.
func Cause(err error) error {
	var de *DeliverError
	if errors.As(err, &de) {
		return de.Err
	}
	return err
}

// Deliver builds a mockimpact.Dispatcher as s describes, configures the
// postback, fires s.Fire generated events, runs the clock until every
// delivery is finished (clock.Virtual.Settle) or, live, waits for them,
// and returns the deliveries. Its errors are *DeliverError.
func Deliver(ctx context.Context, s DeliverySetup) (Deliveries, error) {
	var out Deliveries
	var vc *clock.Virtual
	var script *mockimpact.Script
	opts := mockimpact.Options{OnAttempt: s.OnAttempt}
	if s.Live {
		if s.TimeScale <= 0 {
			return out, &DeliverError{StageConfigure, fmt.Errorf("time scale %v: want a positive number", s.TimeScale)}
		}
		opts.Clock = clock.NewScaled(s.TimeScale)
	} else {
		vc = clock.NewVirtual(time.Time{})
		script = mockimpact.NewScript(s.Receiver...)
		opts.Clock, opts.Transport, opts.Resolver = vc, script, script
	}
	d := mockimpact.NewDispatcher(opts) // on memory stores, which never fail: reads ignore their errors
	defer d.Close()
	if _, err := d.Configure(ctx, s.Postback); err != nil {
		return out, &DeliverError{StageConfigure, err}
	}
	event := s.Event
	if event == "" {
		event = s.Postback.Event
	}
	var fired []string // delivery ids, in firing order
	for i := range max(s.Fire, 1) {
		ev, err := fixtures.Generate(event, fixtures.GenOptions{Seed: s.Seed + int64(i), Status: s.Status}, d.Clock().Now())
		if err != nil {
			return out, &DeliverError{StageEvent, err}
		}
		id, err := d.Fire(ctx, ev)
		if err != nil {
			return out, &DeliverError{StageFire, err}
		}
		out.Events = append(out.Events, ev)
		fired = append(fired, id)
		if script != nil && i < len(s.PerDelivery) && len(s.PerDelivery[i]) > 0 {
			script.ForDelivery(id, s.PerDelivery[i]...) // before the clock moves
		}
		if s.OnFire != nil {
			dl, _, _ := d.Delivery(ctx, id)
			s.OnFire(dl)
		}
	}
	var runErr error
	if s.Live {
		wctx := ctx
		if s.LiveTimeout > 0 {
			var cancel context.CancelFunc
			wctx, cancel = context.WithTimeout(ctx, s.LiveTimeout)
			defer cancel()
		}
		if err := d.WaitIdle(wctx); err != nil {
			out.Cancelled = d.Close()
			runErr = &DeliverError{StageWait, err}
		}
	} else {
		if err := vc.Settle(); err != nil {
			runErr = &DeliverError{StageSettle, err}
		}
		out.Received = script.Received()
	}
	// The fired deliveries in firing order, then the updates (live, an
	// update may be journaled before the last event is fired).
	all, _ := d.Deliveries(ctx)
	byID := make(map[string]mockimpact.Delivery, len(all))
	for _, dl := range all {
		byID[dl.ID] = dl
	}
	for _, id := range fired {
		out.Deliveries = append(out.Deliveries, byID[id])
		delete(byID, id)
	}
	for _, dl := range all {
		if _, ok := byID[dl.ID]; !ok {
			continue
		}
		out.Deliveries = append(out.Deliveries, dl)
		if ev, ok, _ := d.Payload(ctx, dl.ID); ok {
			out.Events = append(out.Events, ev)
		}
	}
	return out, runErr
}
