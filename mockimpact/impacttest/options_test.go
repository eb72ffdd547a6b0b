package impacttest_test

import (
	"context"
	"testing"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockimpact/impacttest"
)

// resolverFunc resolves with a function.
type resolverFunc func(host string) ([]string, error)

func (f resolverFunc) LookupHost(_ context.Context, host string) ([]string, error) { return f(host) }

// TestOptionsAddUp: no option drops another, whatever their order: a
// resolver given before or after the script is the one used, and every
// WithOnAttempt hook is called, in order.
func TestOptionsAddUp(t *testing.T) {
	for _, resolverFirst := range []bool{true, false} {
		var looked []string
		res := impacttest.WithResolver(resolverFunc(func(host string) ([]string, error) {
			looked = append(looked, host)
			return []string{"192.0.2.1"}, nil
		}))
		var hooks []string
		opts := []impacttest.Option{
			impacttest.WithScript(mockimpact.Step{Status: 200}),
			impacttest.WithOnAttempt(func(mockimpact.Attempt) { hooks = append(hooks, "first") }),
			impacttest.WithOnAttempt(func(mockimpact.Attempt) { hooks = append(hooks, "second") }),
		}
		if resolverFirst {
			opts = append([]impacttest.Option{res}, opts...)
		} else {
			opts = append(opts, res)
		}
		td := impacttest.NewDispatcher(t, mockimpact.Postback{Event: "job_completed", URL: "https://brand.example/jobs"}, opts...)
		td.FireGenerated("job_completed", 1)
		td.RunUntilIdle()
		if len(looked) != 1 || looked[0] != "brand.example" || len(hooks) != 2 || hooks[0] != "first" || hooks[1] != "second" {
			t.Errorf("resolver first %v: looked up %v, hooks %v; want brand.example once, both hooks in order", resolverFirst, looked, hooks)
		}
		if got := td.Only().Outcome; got != mockimpact.DeliveryDelivered {
			t.Errorf("resolver first %v: %s, want delivered by the script", resolverFirst, got)
		}
	}
}
