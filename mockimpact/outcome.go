package mockimpact

import "slices"

// Outcome classifies one delivery attempt (our decision:
// docs/platforms.md#d-impact-classification).
type Outcome string

// Attempt outcomes, in the order they are checked: the first that applies
// wins.
const (
	OutcomeInvalidURL    Outcome = "invalid_url"
	OutcomeDNSFailure    Outcome = "dns_failure"
	OutcomeBlockedTarget Outcome = "blocked_target"
	OutcomeNetworkError  Outcome = "network_error"
	OutcomeErrorResponse Outcome = "error_response"
	OutcomeHTTPError     Outcome = "http_error"
	OutcomeDelivered     Outcome = "delivered"
	OutcomeUnconfirmed   Outcome = "unconfirmed"
)

// OutcomeRule is one row of the classification table.
type OutcomeRule struct {
	// Outcome is the attempt outcome the row gives.
	Outcome Outcome `json:"outcome"`
	// Retry says whether another attempt follows (while any are left).
	Retry bool `json:"retry"`
	// Flagged says whether the journal flags the attempt for a look.
	Flagged bool `json:"flagged,omitempty"`
	// When says what leads to it.
	When string `json:"when"`
	// Documented says whether the impact.com document states the rule
	// (true) or it is our decision (docs/platforms.md#d-impact-classification).
	Documented bool `json:"documented"`
	// Ends is how a delivery ends when its last attempt has this outcome:
	// for a retried outcome, only once no attempt is left.
	Ends DeliveryOutcome `json:"ends"`

	// applies is the rule: whether an exchange has this outcome, given the
	// configured success and error responses. Rows are tried in order.
	applies func(x exchange, success, failure Matcher) bool
}

// outcomes is the classification table, in check order: the only copy of
// the rules of docs/platforms.md#d-impact-classification.
var outcomes = [...]OutcomeRule{
	{Outcome: OutcomeInvalidURL, Ends: DeliveryInvalidURL, Documented: true,
		When:    "the rendered URL is malformed (a port outside 1–65535 included) or not http(s): nothing is sent",
		applies: func(x exchange, _, _ Matcher) bool { return x.invalidURL != nil }},
	{Outcome: OutcomeDNSFailure, Ends: DeliveryDNSFailure, Documented: true,
		When:    "the URL's host does not resolve (a temporary DNS error is a network_error)",
		applies: func(x exchange, _, _ Matcher) bool { return x.dnsErr != nil }},
	{Outcome: OutcomeBlockedTarget, Ends: DeliveryBlocked,
		When:    "the sandbox's target policy (--deny-private-targets) refuses the resolved address (loopback, private, link-local, the sandbox itself: nothing is sent), or the target refused the postback as a loop back to a sandbox it came from (508 with X-Postbacksim-Loop; reason self)",
		applies: func(x exchange, _, _ Matcher) bool { return x.blocked != nil }},
	{Outcome: OutcomeNetworkError, Retry: true, Ends: DeliveryExhausted, Documented: true,
		When:    "connection refused or reset, timeout (default 30 s), TLS failure",
		applies: func(x exchange, _, _ Matcher) bool { return x.netErr != nil }},
	{Outcome: OutcomeErrorResponse, Retry: true, Ends: DeliveryExhausted, Documented: true,
		When:    "the configured error response matches: its status, or a body that contains its text (also when the body holds the success text)",
		applies: func(x exchange, _, failure Matcher) bool { return failure.Match(x.status, x.body) }},
	{Outcome: OutcomeHTTPError, Retry: true, Ends: DeliveryExhausted, Documented: true,
		When:    `HTTP status 400–599, whatever the body says (the impact document says "400 to 500"; 501–599 is our decision)`,
		applies: func(x exchange, _, _ Matcher) bool { return x.status >= 400 && x.status <= 599 }},
	{Outcome: OutcomeDelivered, Ends: DeliveryDelivered, Documented: true,
		When: "the configured success response matches: its status, or a body that is its text, trimmed of white space (default: any 2xx)",
		applies: func(x exchange, success, _ Matcher) bool {
			if success.IsZero() {
				return x.status >= 200 && x.status < 300
			}
			return success.MatchWhole(x.status, x.body)
		}},
	{Outcome: OutcomeUnconfirmed, Flagged: true, Ends: DeliveryUnconfirmed,
		When:    "anything else: 1xx or 3xx, or a 2xx whose body is not the success text",
		applies: func(exchange, Matcher, Matcher) bool { return true }},
}

// Outcomes returns a copy of the classification table, in check order.
func Outcomes() []OutcomeRule { return slices.Clone(outcomes[:]) }

// classify applies docs/platforms.md#d-impact-classification: the first row of table that applies.
func classify(table []OutcomeRule, x exchange, success, failure Matcher) Outcome {
	for i := range table {
		if table[i].applies(x, success, failure) {
			return table[i].Outcome
		}
	}
	return OutcomeUnconfirmed
}

// rule returns o's row of the classification table.
func (o Outcome) rule() (OutcomeRule, bool) {
	for _, r := range outcomes {
		if r.Outcome == o {
			return r, true
		}
	}
	return OutcomeRule{}, false
}

// Retries reports whether o is followed by another attempt.
func (o Outcome) Retries() bool {
	r, _ := o.rule()
	return r.Retry
}

// Flagged reports whether an attempt with outcome o is flagged.
func (o Outcome) Flagged() bool {
	r, _ := o.rule()
	return r.Flagged
}

// DeliveryOutcome is how a whole delivery ended.
type DeliveryOutcome string

// Delivery outcomes. A delivery that ended on a final attempt outcome
// takes its name; one whose retries ran out is exhausted.
const (
	DeliveryPending     DeliveryOutcome = "pending"
	DeliveryDelivered   DeliveryOutcome = "delivered"
	DeliveryUnconfirmed DeliveryOutcome = "unconfirmed"
	DeliveryInvalidURL  DeliveryOutcome = "invalid_url"
	DeliveryDNSFailure  DeliveryOutcome = "dns_failure"
	DeliveryBlocked     DeliveryOutcome = "blocked_target"
	DeliveryExhausted   DeliveryOutcome = "exhausted"
	DeliveryCancelled   DeliveryOutcome = "cancelled"
)

// DeliveryRule is one row of the table of delivery outcomes.
type DeliveryRule struct {
	// Outcome is the delivery outcome the row describes.
	Outcome DeliveryOutcome `json:"outcome"`
	// Final says whether the attempts decided it: the delivery ended on
	// its own. Pending (not over) and cancelled (cut short by a shutdown)
	// are not final.
	Final bool `json:"final"`
	// When says what leads to it.
	When string `json:"when"`
}

// deliveryOutcomes is the table of delivery outcomes: the only copy.
var deliveryOutcomes = [...]DeliveryRule{
	{DeliveryPending, false, "an attempt is due or in progress"},
	{DeliveryDelivered, true, "an attempt was delivered"},
	{DeliveryUnconfirmed, true, "an attempt was unconfirmed (3xx, or 2xx without the success text)"},
	{DeliveryInvalidURL, true, "the rendered URL is invalid: nothing was sent"},
	{DeliveryDNSFailure, true, "the URL's host does not resolve"},
	{DeliveryBlocked, true, "the target policy refused the address: nothing was sent"},
	{DeliveryExhausted, true, "every attempt was retried, the last one too"},
	{DeliveryCancelled, false, "the dispatcher shut down with an attempt still due"},
}

// DeliveryOutcomes returns a copy of the table of delivery outcomes.
func DeliveryOutcomes() []DeliveryRule { return slices.Clone(deliveryOutcomes[:]) }

// EndOf is how a delivery ends when attempt number n (from 1) has
// outcome o: DeliveryPending when another attempt follows.
func EndOf(o Outcome, n int) DeliveryOutcome {
	r, ok := o.rule()
	switch {
	case ok && !r.Retry:
		return r.Ends
	case n < MaxAttempts:
		return DeliveryPending
	case ok:
		return r.Ends
	}
	return DeliveryExhausted
}
