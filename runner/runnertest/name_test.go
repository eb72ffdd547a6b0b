package runnertest

import "testing"

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
