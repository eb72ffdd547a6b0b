package mockimpact

import (
	"errors"
	"testing"
	"time"
)

// everything is an exchange every rule of the classification table
// applies to: an invalid URL, a DNS failure, a blocked target, a network error, and a 500
// whose body holds the error text, with 500 as the success status (which
// a configuration refuses, but the table's rows do not know).
func everything() (exchange, Matcher, Matcher) {
	oops := errors.New("oops")
	x := exchange{invalidURL: oops, dnsErr: oops, blocked: oops, netErr: oops, status: 500, body: []byte("ERROR OK")}
	return x, Matcher{Status: 500}, Matcher{Text: "ERROR"}
}

// TestClassifyFollowsTableOrder: an exchange that every rule applies to
// gets the first row's outcome, and with the first k rows removed, row
// k's: the table order is the classification order.
func TestClassifyFollowsTableOrder(t *testing.T) {
	x, success, failure := everything()
	for k, r := range outcomes {
		if !r.applies(x, success, failure) {
			t.Fatalf("row %d (%s) does not apply to the all-matching exchange", k, r.Outcome)
		}
		if got := classify(outcomes[k:], x, success, failure); got != r.Outcome {
			t.Errorf("table from row %d: classified %s, want %s", k, got, r.Outcome)
		}
	}
	// Swapping two rows swaps the winner.
	swapped := Outcomes()
	swapped[0], swapped[1] = swapped[1], swapped[0]
	if got := classify(swapped, x, success, failure); got != outcomes[1].Outcome {
		t.Errorf("rows 0 and 1 swapped: classified %s, want %s", got, outcomes[1].Outcome)
	}
}

// TestClassifyEachRule: one exchange per rule that no earlier rule
// applies to.
func TestClassifyEachRule(t *testing.T) {
	oops := errors.New("oops")
	for _, c := range []struct {
		x                exchange
		success, failure Matcher
		want             Outcome
	}{
		{exchange{invalidURL: oops}, Matcher{}, Matcher{}, OutcomeInvalidURL},
		{exchange{dnsErr: oops}, Matcher{}, Matcher{}, OutcomeDNSFailure},
		{exchange{blocked: oops}, Matcher{}, Matcher{}, OutcomeBlockedTarget},
		{exchange{netErr: oops}, Matcher{}, Matcher{}, OutcomeNetworkError},
		{exchange{status: 200, body: []byte("ERROR")}, Matcher{}, Matcher{Text: "ERROR"}, OutcomeErrorResponse},
		{exchange{status: 204}, Matcher{}, Matcher{}, OutcomeDelivered},
		{exchange{status: 302, body: []byte("OK")}, Matcher{Text: "OK"}, Matcher{}, OutcomeDelivered},
		{exchange{status: 200}, Matcher{Text: "OK"}, Matcher{}, OutcomeUnconfirmed},
		{exchange{status: 503}, Matcher{}, Matcher{}, OutcomeHTTPError},
		{exchange{status: 599}, Matcher{}, Matcher{}, OutcomeHTTPError},
		{exchange{status: 301}, Matcher{}, Matcher{}, OutcomeUnconfirmed},
		// A 400–599 status is retried whatever the body says.
		{exchange{status: 500, body: []byte("OK")}, Matcher{Text: "OK"}, Matcher{}, OutcomeHTTPError},
		{exchange{status: 404, body: []byte("OK")}, Matcher{Text: "OK"}, Matcher{Text: "ERROR"}, OutcomeHTTPError},
		// The success text is the whole body, trimmed; the error text wins.
		{exchange{status: 200, body: []byte("NOT OK")}, Matcher{Text: "OK"}, Matcher{}, OutcomeUnconfirmed},
		{exchange{status: 200, body: []byte(" OK\r\n")}, Matcher{Text: "OK"}, Matcher{}, OutcomeDelivered},
		{exchange{status: 200, body: []byte("OK ERROR")}, Matcher{Text: "OK"}, Matcher{Text: "ERROR"}, OutcomeErrorResponse},
		{exchange{status: 200, body: []byte("ERROR")}, Matcher{Text: "ERROR"}, Matcher{Text: "ERROR"}, OutcomeErrorResponse},
	} {
		if got := classify(outcomes[:], c.x, c.success, c.failure); got != c.want {
			t.Errorf("%+v (success %v, error %v): %s, want %s", c.x, c.success, c.failure, got, c.want)
		}
	}
}

// TestEndOfFromTable: a final attempt outcome ends the delivery as its
// row says, a retried one keeps it pending until the last attempt, and
// the attempt table's ends are exactly the final delivery outcomes.
func TestEndOfFromTable(t *testing.T) {
	final := map[DeliveryOutcome]bool{}
	for _, d := range DeliveryOutcomes() {
		if d.Final {
			final[d.Outcome] = true
		}
	}
	reached := map[DeliveryOutcome]bool{}
	for _, r := range Outcomes() {
		if !final[r.Ends] {
			t.Errorf("%s ends a delivery as %q, not a final delivery outcome", r.Outcome, r.Ends)
		}
		reached[r.Ends] = true
		first, last := EndOf(r.Outcome, 1), EndOf(r.Outcome, MaxAttempts)
		if r.Retry && (first != DeliveryPending || last != r.Ends) || !r.Retry && (first != r.Ends || last != r.Ends) {
			t.Errorf("%s (retry %v): EndOf at 1 = %s, at %d = %s", r.Outcome, r.Retry, first, MaxAttempts, last)
		}
		if r.Outcome.Retries() != r.Retry || r.Outcome.Flagged() != r.Flagged {
			t.Errorf("%s: Retries/Flagged disagree with the table", r.Outcome)
		}
	}
	for d := range final {
		if !reached[d] {
			t.Errorf("final delivery outcome %s is no attempt outcome's end", d)
		}
	}
	if EndOf("bogus", 1) != DeliveryPending || EndOf("bogus", MaxAttempts) != DeliveryExhausted {
		t.Error("an unknown outcome is treated as a retried one")
	}
}

// TestTablesAreCopies: changing what an accessor returned changes
// nothing in the package.
func TestTablesAreCopies(t *testing.T) {
	o := Outcomes()
	o[0].Retry, o[0].Outcome = true, "changed"
	r := RetrySchedule()
	r[0] = time.Hour
	f := Faults()
	f[0].Name = "changed"
	d := DeliveryOutcomes()
	d[0].Final = true
	Formats()[0], Methods()[0] = "changed", "changed"
	switch {
	case Outcomes()[0].Outcome != OutcomeInvalidURL || OutcomeInvalidURL.Retries():
		t.Error("Outcomes returned the table itself")
	case RetrySchedule()[0] != 15*time.Second || RetryDelay(1) != 15*time.Second:
		t.Error("RetrySchedule returned the table itself")
	case Faults()[0].Name != FaultTimeout || FaultNames()[0] != FaultTimeout:
		t.Error("Faults returned the table itself")
	case DeliveryOutcomes()[0].Final:
		t.Error("DeliveryOutcomes returned the table itself")
	case Formats()[0] != FormatJSON || Methods()[0] != "GET":
		t.Error("Formats or Methods returned the list itself")
	}
	if len(RetrySchedule()) != MaxAttempts-1 || ScheduleOffsets()[MaxAttempts-1] != 30*time.Hour+51*time.Minute+45*time.Second {
		t.Errorf("schedule: %v", ScheduleOffsets())
	}
}
