package scenarios

import (
	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

// Scenario is one scenario file. Exactly one of Impact and Ocean is set.
type Scenario struct {
	// Name says what the scenario shows; it names the test in reports.
	Name string `yaml:"name" json:"name" jsonschema:"required,minLength=1"`
	// Description is free text.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Impact scripts an impact.com postback delivery.
	Impact *Impact `yaml:"impact,omitempty" json:"impact,omitempty"`
	// Ocean scripts requests to the Ocean Engine /track/activate/ emulator.
	Ocean *Ocean `yaml:"ocean,omitempty" json:"ocean,omitempty"`

	// File is where the scenario was loaded from.
	File string `yaml:"-" json:"-"`
}

// Impact is an impact.com scenario: an event, the brand's postback
// configuration, a scripted receiver and what must happen.
type Impact struct {
	// Event is the event type, e.g. action_lifecycle.
	Event string `yaml:"event" json:"event" jsonschema:"required"`
	// Seed generates the event payload (same seed, same payload); 0 means
	// the default seed.
	Seed int64 `yaml:"seed,omitempty" json:"seed,omitempty"`
	// Status is the status of the events fired (TRACKED, MODIFIED or
	// REVERSED actions; PENDING, APPROVED or REJECTED inquiries; PENDING,
	// APPROVED, REJECTED or RETRACTED applications); empty means the
	// event's default. One seed gives the same ids in every status.
	Status string `yaml:"status,omitempty" json:"status,omitempty"`
	// Fire is how many events are fired at once (seeds Seed, Seed+1, …);
	// default 1, or the number of deliveries entries.
	Fire int `yaml:"fire,omitempty" json:"fire,omitempty"`
	// Postback is the brand's configuration. In its url, {receiver} stands
	// for the receiver's base URL (the scripted receiver, or --target).
	Postback mockimpact.Postback `yaml:"postback" json:"postback" jsonschema:"required"`
	// Receiver scripts the answers, one per attempt, the last repeating;
	// empty means always 200.
	Receiver []mockimpact.Step `yaml:"receiver,omitempty" json:"receiver,omitempty"`
	// Expect is what must happen (to every delivery, unless deliveries
	// says otherwise for one).
	Expect ImpactExpect `yaml:"expect,omitempty" json:"expect,omitempty"`
	// Deliveries scripts and checks deliveries one by one, in firing
	// order: entry 1 is the first event fired. An entry's receiver
	// replaces Receiver for its delivery, and the fields its expect sets
	// replace those of Expect. Deliveries without an entry use Receiver
	// and Expect.
	Deliveries []Delivery `yaml:"deliveries,omitempty" json:"deliveries,omitempty"`
}

// Delivery scripts one delivery of a scenario that fires several.
type Delivery struct {
	// Receiver scripts this delivery's answers, one per attempt, the last
	// repeating; empty means impact.receiver. Live runs (--target) ignore
	// it: the partner's receiver answers.
	Receiver []mockimpact.Step `yaml:"receiver,omitempty" json:"receiver,omitempty"`
	// Expect is what must happen to this delivery; unset fields fall back
	// to impact.expect.
	Expect DeliveryExpect `yaml:"expect,omitempty" json:"expect,omitempty"`
}

// DeliveryExpect is what must happen to one delivery; unset fields are
// not checked.
type DeliveryExpect struct {
	// Outcome is how the delivery ends.
	Outcome string `yaml:"outcome,omitempty" json:"outcome,omitempty"`
	// Attempts is the number of attempts.
	Attempts int `yaml:"attempts,omitempty" json:"attempts,omitempty"`
	// Offsets of each attempt from the first, e.g. [0s, 15s, 30s].
	Offsets []clock.Duration `yaml:"offsets,omitempty" json:"offsets,omitempty"`
	// Outcomes classifies each attempt, in order.
	Outcomes []string `yaml:"outcomes,omitempty" json:"outcomes,omitempty"`
}

// empty reports whether e checks nothing.
func (e DeliveryExpect) empty() bool {
	return e.Outcome == "" && e.Attempts == 0 && e.Offsets == nil && e.Outcomes == nil
}

// over returns e with the fields it leaves unset taken from base.
func (e DeliveryExpect) over(base DeliveryExpect) DeliveryExpect {
	if e.Outcome == "" {
		e.Outcome = base.Outcome
	}
	if e.Attempts == 0 {
		e.Attempts = base.Attempts
	}
	if e.Offsets == nil {
		e.Offsets = base.Offsets
	}
	if e.Outcomes == nil {
		e.Outcomes = base.Outcomes
	}
	return e
}

// ExpectFor is what must happen to delivery i (0-based, firing order):
// impact.expect with deliveries[i].expect over it.
func (im *Impact) ExpectFor(i int) DeliveryExpect {
	base := im.Expect.DeliveryExpect
	if i < len(im.Deliveries) {
		return im.Deliveries[i].Expect.over(base)
	}
	return base
}

// ReceiverFor is the script of delivery i (0-based, firing order).
func (im *Impact) ReceiverFor(i int) []mockimpact.Step {
	if i < len(im.Deliveries) && len(im.Deliveries[i].Receiver) > 0 {
		return im.Deliveries[i].Receiver
	}
	return im.Receiver
}

// ImpactExpect states what must happen to every delivery; unset fields
// are not checked.
type ImpactExpect struct {
	// DeliveryExpect holds outcome, attempts, offsets and outcomes, which
	// every delivery must match.
	DeliveryExpect `yaml:",inline"`
	// FirstAttemptAt is, per delivery in firing order, when its first
	// attempt went out, counted from the firing (minimum delay, rate limit).
	FirstAttemptAt []clock.Duration `yaml:"first_attempt_at,omitempty" json:"first_attempt_at,omitempty"`
	// Received checks what the receiver got.
	Received []ReceivedExpect `yaml:"received,omitempty" json:"received,omitempty"`
	// Tolerance is how far an attempt's offset may be from the expected
	// one, per attempt: attempt n may be off by (n-1) × tolerance, and a
	// first_attempt_at entry by tolerance. Scripted runs are exact by
	// default; live runs (--target) allow 20ms × --time-scale (at least
	// 1s) beyond the receiver's measured latency. The --tolerance flag
	// overrides it.
	Tolerance clock.Duration `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
}

// ReceivedExpect checks requests the receiver got. String values may hold
// the event's macros ("{ActionId}"), rendered with the fired event.
type ReceivedExpect struct {
	// Delivery picks the delivery (1-based, firing order); default 1.
	Delivery int `yaml:"delivery,omitempty" json:"delivery,omitempty"`
	// Attempt picks the attempt (1-based); 0 checks every attempt received.
	Attempt int `yaml:"attempt,omitempty" json:"attempt,omitempty"`
	// Method is GET or POST.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// Path is the URL path.
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// Query lists query parameters that must have these values.
	Query map[string]string `yaml:"query,omitempty" json:"query,omitempty"`
	// Headers lists headers that must have these values.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// JSON lists top-level fields of the JSON body that must have these
	// values (numbers compare as numbers).
	JSON map[string]any `yaml:"json,omitempty" json:"json,omitempty"`
	// Form lists fields of a form body that must have these values.
	Form map[string]string `yaml:"form,omitempty" json:"form,omitempty"`
	// BodyContains is text the body must contain.
	BodyContains string `yaml:"body_contains,omitempty" json:"body_contains,omitempty"`
}

// Ocean is an Ocean Engine scenario: steps run in order against a fresh
// emulator on a virtual clock.
type Ocean struct {
	// Lenient also accepts, each with a warning, what real clients send
	// outside the document's explicit rules (a POST's query string, a
	// link-only conversion, no event_type, …). Not with strict.
	Lenient bool `yaml:"lenient,omitempty" json:"lenient,omitempty"`
	// Strict makes every warning an error (a milliseconds conv_time,
	// os=ios, …). Not with lenient.
	Strict bool `yaml:"strict,omitempty" json:"strict,omitempty"`
	// DedupTTL is how long an outer_event_id is remembered (default 24h).
	DedupTTL clock.Duration `yaml:"dedup_ttl,omitempty" json:"dedup_ttl,omitempty"`
	// AppSecret makes the v2 API check x-signature with it; requests
	// with sign: true are signed with it.
	AppSecret string `yaml:"app_secret,omitempty" json:"app_secret,omitempty"`
	// Steps run in order.
	Steps []OceanStep `yaml:"steps" json:"steps" jsonschema:"required,minItems=1"`
}

// OceanStep is one step: a request with its expected answer, a fault
// injected before the next requests, clearing the faults, or advancing
// the virtual clock. Set exactly one of request, fault, clear_faults,
// advance.
type OceanStep struct {
	// Name labels the step in reports.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Request is sent to /track/activate/, or to /api/v2/conversion with
	// api: v2.
	Request *OceanRequest `yaml:"request,omitempty" json:"request,omitempty"`
	// Expect is the answer the request must get.
	Expect *OceanExpect `yaml:"expect,omitempty" json:"expect,omitempty"`
	// Repeat sends the request this many times (default 1); every answer
	// must match Expect unless ExpectFirst is set.
	Repeat int `yaml:"repeat,omitempty" json:"repeat,omitempty"`
	// ExpectFirst, with Repeat, is the answer of the first request only.
	ExpectFirst *OceanExpect `yaml:"expect_first,omitempty" json:"expect_first,omitempty"`
	// Fault is added to the emulator's fault rules.
	Fault *mockocean.Fault `yaml:"fault,omitempty" json:"fault,omitempty"`
	// ClearFaults removes every fault rule.
	ClearFaults bool `yaml:"clear_faults,omitempty" json:"clear_faults,omitempty"`
	// Advance moves the virtual clock forward (dedup TTL).
	Advance clock.Duration `yaml:"advance,omitempty" json:"advance,omitempty"`
}

// OceanRequest is a request to /track/activate/.
type OceanRequest struct {
	// API is track (/track/activate/, the default) or v2
	// (/api/v2/conversion: a POST of params as a JSON document, which
	// may nest: context: {ad: {callback: …}}).
	API string `yaml:"api,omitempty" json:"api,omitempty"`
	// Encoding is query (GET, the default), form or json (POST); the v2
	// API takes json only.
	Encoding string `yaml:"encoding,omitempty" json:"encoding,omitempty"`
	// Method overrides the encoding's method (to test 405, or a POST with
	// a query string).
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// Params are the parameters; numbers stay numbers in JSON.
	Params map[string]any `yaml:"params,omitempty" json:"params,omitempty"`
	// Query is a raw query string sent as is (without the "?"), for a
	// request as it was received (ocean export); with encoding query the
	// params follow it.
	Query string `yaml:"query,omitempty" json:"query,omitempty"`
	// Body replaces the encoded params with a raw body (for broken bodies).
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// ContentType overrides the encoding's Content-Type.
	ContentType string `yaml:"content_type,omitempty" json:"content_type,omitempty"`
	// Headers are sent with the request (x-signature, X-Debug-Mode: 1 …).
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Sign adds the x-signature the SDK sends: hex(sha256(body +
	// app_secret)), with the scenario's ocean.app_secret.
	Sign bool `yaml:"sign,omitempty" json:"sign,omitempty"`
}

// OceanExpect is an expected answer; unset fields are not checked.
type OceanExpect struct {
	// Status is the HTTP status (default 200).
	Status int `yaml:"status,omitempty" json:"status,omitempty"`
	// Code is the answer's code (0 for success).
	Code *int `yaml:"code,omitempty" json:"code,omitempty"`
	// Msg is the answer's msg (the v2 API's message), exactly.
	Msg string `yaml:"msg,omitempty" json:"msg,omitempty"`
	// Warning is text one of the journal's warnings must contain.
	Warning string `yaml:"warning,omitempty" json:"warning,omitempty"`
	// Warnings are the journal's warnings, exactly and in order (what
	// ocean export records); unset, they are not checked, and [] expects
	// none (so an empty list is written, not left out).
	Warnings []string `yaml:"warnings,omitzero" json:"warnings,omitempty"`
	// Detail is text the journal's detail must contain.
	Detail string `yaml:"detail,omitempty" json:"detail,omitempty"`
	// Malformed expects a body that is not valid JSON.
	Malformed bool `yaml:"malformed,omitempty" json:"malformed,omitempty"`
	// Dropped expects the connection to be dropped without an answer.
	Dropped bool `yaml:"dropped,omitempty" json:"dropped,omitempty"`
}
