package sandbox

import "testing"

// TestPathClasses: which paths are admin paths (behind the tokens) and
// which any client may use from anywhere, at the root and under a
// namespace, with the odd shapes a client may send.
func TestPathClasses(t *testing.T) {
	for _, c := range []struct {
		path          string
		admin, exempt bool
	}{
		{"/track/activate/", false, true},
		{"/track/activate", false, true},
		{"/healthz", false, true},
		{"/readyz", false, true},
		{"/api/v2/conversion", false, false},
		{"/_admin/ocean/requests", true, false},
		{"/_admin/", true, false},
		{"/_admin", false, false},
		{"/debug/pprof/heap", true, false},
		{"/ns/team-a/track/activate/", false, true},
		{"/ns/team-a/track/activate", false, true},
		{"/ns/team-a/healthz", false, true},
		{"/ns/team-a/_admin/impact/deliveries", true, false},
		{"/ns/team-a/_admin/", true, false},
		{"/ns/team-a/_admin", false, false},
		{"/ns/team-a", false, false},
		{"/ns/team-a/", false, false},
		{"/ns//_admin/x", true, false},
		{"//track/activate/", false, false},
		{"track/activate/", false, false},
		{"/metrics", false, false},
		{"", false, false},
	} {
		if got := isAdminPath(c.path); got != c.admin {
			t.Errorf("isAdminPath(%q) = %t, want %t", c.path, got, c.admin)
		}
		if got := exempt(c.path); got != c.exempt {
			t.Errorf("exempt(%q) = %t, want %t", c.path, got, c.exempt)
		}
	}
}
