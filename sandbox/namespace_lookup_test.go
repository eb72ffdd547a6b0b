package sandbox

import (
	"context"
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
)

// TestNamespaceLookupSeesEveryChange: the map requests look their
// namespace up in without the lock holds the namespaces after each way
// one comes or goes: made by traffic, created, deleted, expired.
func TestNamespaceLookupSeesEveryChange(t *testing.T) {
	vc := clock.NewVirtual(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	sb := New(Config{NamespaceTTL: time.Hour, Clock: vc})
	defer sb.Close()
	same := func(step string, want ...string) {
		t.Helper()
		held := sb.tenantMap()
		names := slices.Sorted(maps.Keys(held))
		if wantAll := slices.Sorted(slices.Values(append(want, DefaultNamespace))); !slices.Equal(names, slices.Compact(wantAll)) {
			t.Errorf("%s: the lookup map holds %v, want %v", step, names, slices.Compact(wantAll))
		}
		for _, name := range want {
			if got, err := sb.resolve(name); err != nil || got == nil || got != held[name] {
				t.Errorf("%s: resolve(%q) = %v, %v; want the namespace", step, name, got, err)
			}
		}
	}
	same("new", DefaultNamespace)
	sb.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ns/by-traffic/track/activate/?callback=c&idfa=i&event_type=0", nil))
	same("made by traffic", "by-traffic")
	if _, err := sb.CreateNamespace(context.Background(), "created", "a-token-of-16-chars"); err != nil {
		t.Fatal(err)
	}
	same("created", "created", "by-traffic")
	if err := sb.DeleteNamespace(context.Background(), "created"); err != nil {
		t.Fatal(err)
	}
	same("deleted", "by-traffic")
	if got, _ := sb.resolve("created"); got != nil {
		t.Error("a deleted namespace is still found")
	}
	vc.Advance(2 * time.Hour)
	sb.expire()
	same("expired", DefaultNamespace)
	if got, _ := sb.resolve("by-traffic"); got != nil {
		t.Error("an expired namespace is still found")
	}
}
