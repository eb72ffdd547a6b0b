package runner

import (
	"context"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/scenarios"
)

// A raw query string is sent as is, and warnings compares the journal's
// warnings exactly: an unexpected one fails the step, at its path.
func TestOceanRawQueryAndExactWarnings(t *testing.T) {
	sc, err := scenarios.Parse("raw.yaml", []byte(`name: raw
ocean:
  steps:
    - request: {query: "callback=c&os=ios&muid=m&event_type=0"}
      expect: {code: 0, warnings: []}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := Run(context.Background(), sc, Options{})
	if r.Status != Fail || len(r.Failures) != 1 || r.Failures[0].Path != "ocean.steps[0].expect.warnings" ||
		!strings.Contains(r.Failures[0].Message, `os \"ios\" read as 1`) {
		t.Fatalf("want one failure at ocean.steps[0].expect.warnings naming the warning, got %+v", r.Failures)
	}
	hr, err := buildRequest(&scenarios.OceanRequest{Query: "a=1&a=2", Params: map[string]any{"b": "x y"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := hr.URL.RawQuery; got != "a=1&a=2&b=x+y" {
		t.Fatalf("query %q, want the raw query then the params", got)
	}
}
