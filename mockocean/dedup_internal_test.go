package mockocean

import (
	"testing"
	"time"
)

// TestDedupOutOfOrder stores ids with times that go backwards (as a slow
// request stamped on arrival used to be): an id stored again after its
// window must not be forgotten when its stale slot leaves the ring.
func TestDedupOutOfOrder(t *testing.T) {
	d := newDedup(nil, 3, 3*time.Second, nil)
	at := func(s float64) int64 { return int64(s * float64(time.Second)) }
	steps := []struct {
		id   string
		at   float64
		want bool
	}{
		{"B", 1.0, true},
		{"A", 0.0, true},   // stored after B, stamped earlier
		{"A", 3.2, true},   // A's window (0–3 s) is over
		{"C", 3.3, true},   // evicts B for capacity
		{"D", 3.3, true},   // A's stale slot expires: the new A stays
		{"A", 3.35, false}, // stored at 3.2: remembered until 6.2
		{"A", 6.3, true},
	}
	for i, s := range steps {
		if got := d.addAt(d.key(s.id), at(s.at)); got != s.want {
			t.Fatalf("step %d: add %s at %.2fs = %v, want %v", i+1, s.id, s.at, got, s.want)
		}
	}
}
