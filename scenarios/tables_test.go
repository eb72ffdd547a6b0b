package scenarios

import (
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// TestMessagesListTheTables: the loader's "want one of" messages list
// the values of the tables the schema's enums come from.
func TestMessagesListTheTables(t *testing.T) {
	var final []string
	for _, d := range mockimpact.DeliveryOutcomes() {
		if d.Final {
			final = append(final, string(d.Outcome))
		}
	}
	var attempt []string
	for _, o := range mockimpact.Outcomes() {
		attempt = append(attempt, string(o.Outcome))
	}
	const head = "name: n\nimpact:\n  event: action_lifecycle\n  postback: {url: \"{receiver}/pb\"}\n"
	for _, c := range []struct {
		yaml string
		want []string
	}{
		{head + "  expect: {outcome: zzzzzzzzzzzz}\n", final},
		{head + "  expect: {outcomes: [zzzzzzzzzzzz]}\n", attempt},
		{head + "  receiver: [{fault: zzzzzzzzzzzz}]\n  expect: {attempts: 1}\n", mockimpact.FaultNames()},
		{strings.Replace(head, "action_lifecycle", "zzzzzzzzzzzz", 1) + "  expect: {attempts: 1}\n", fixtures.ImpactEventNames()},
	} {
		_, err := Parse("t.yaml", []byte(c.yaml))
		if want := strings.Join(c.want, ", "); err == nil || !strings.Contains(err.Error(), "want one of "+want) {
			t.Errorf("%s: got %v, want a message listing %s", c.yaml, err, want)
		}
	}
}
