package mockimpact

// Outcome classifies one delivery attempt (SPEC.md §A4).
type Outcome string

// Attempt outcomes, in the order they are checked: the first that applies
// wins.
const (
	OutcomeInvalidURL    Outcome = "invalid_url"
	OutcomeDNSFailure    Outcome = "dns_failure"
	OutcomeNetworkError  Outcome = "network_error"
	OutcomeErrorResponse Outcome = "error_response"
	OutcomeDelivered     Outcome = "delivered"
	OutcomeHTTPError     Outcome = "http_error"
	OutcomeUnconfirmed   Outcome = "unconfirmed"
)

// OutcomeRule is one row of the classification table.
type OutcomeRule struct {
	Outcome Outcome `json:"outcome"`
	// Retry says whether another attempt follows (while any are left).
	Retry bool `json:"retry"`
	// When says what leads to it.
	When string `json:"when"`
	// Documented says whether the seed states the rule (true) or SPEC.md
	// decided it.
	Documented bool `json:"documented"`
}

// Outcomes is the classification table, in check order.
var Outcomes = []OutcomeRule{
	{OutcomeInvalidURL, false, "the rendered URL is malformed or not http(s): nothing is sent", true},
	{OutcomeDNSFailure, false, "the URL's host does not resolve", true},
	{OutcomeNetworkError, true, "connection refused or reset, timeout, TLS failure", true},
	{OutcomeErrorResponse, true, "the error response matcher matches", false},
	{OutcomeDelivered, false, "the success response matcher matches (default: any 2xx)", false},
	{OutcomeHTTPError, true, "HTTP status 400–599", true},
	{OutcomeUnconfirmed, false, "anything else (3xx, or 2xx without the success text): flagged", false},
}

// Retries reports whether o is followed by another attempt.
func (o Outcome) Retries() bool {
	for _, r := range Outcomes {
		if r.Outcome == o {
			return r.Retry
		}
	}
	return false
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
	DeliveryExhausted   DeliveryOutcome = "exhausted"
	DeliveryCancelled   DeliveryOutcome = "cancelled"
)

// EndOf is how a delivery ends when attempt number n (from 1) has
// outcome o: DeliveryPending when another attempt follows.
func EndOf(o Outcome, n int) DeliveryOutcome {
	switch o {
	case OutcomeDelivered:
		return DeliveryDelivered
	case OutcomeUnconfirmed:
		return DeliveryUnconfirmed
	case OutcomeInvalidURL:
		return DeliveryInvalidURL
	case OutcomeDNSFailure:
		return DeliveryDNSFailure
	}
	if n >= MaxAttempts {
		return DeliveryExhausted
	}
	return DeliveryPending
}
