package runnertest

import (
	"testing"

	"github.com/postbacksim/postbacksim/runner"
)

func TestSubtestName(t *testing.T) {
	for _, c := range []struct{ root, file, want string }{
		{"../../scenarios", "../../scenarios/impact/min-delay.yaml", "impact/min-delay.yaml"},
		{"testdata/scenarios", "testdata/scenarios/strict-mode.yaml", "strict-mode.yaml"},
		{"testdata/scenarios/", "testdata/scenarios/strict-mode.yaml", "strict-mode.yaml"},
		{"testdata/one.yaml", "testdata/one.yaml", "one.yaml"},
	} {
		if got := subtestName(c.root, c.file); got != c.want {
			t.Errorf("subtestName(%q, %q) = %q, want %q", c.root, c.file, got, c.want)
		}
	}
}

// TestOptionsAllApply: every option takes effect, in order, none undoing
// another's fields.
func TestOptionsAllApply(t *testing.T) {
	o := apply([]Option{
		func(o *runner.Options) { o.Target = "http://127.0.0.1:1/pb" },
		func(o *runner.Options) { o.TimeScale = 60 },
		func(o *runner.Options) { o.Parallel = 2 },
	})
	if o.Target != "http://127.0.0.1:1/pb" || o.TimeScale != 60 || o.Parallel != 2 {
		t.Errorf("options applied as %+v; want all three", o)
	}
}
