package sandbox

import (
	"testing"

	"github.com/postbacksim/postbacksim/mockimpact"
)

// impactDeliveries is d.Deliveries; it fails the test on an error.
func impactDeliveries(t *testing.T, d *mockimpact.Dispatcher) []mockimpact.Delivery {
	t.Helper()
	ds, err := d.Deliveries(t.Context())
	if err != nil {
		t.Fatalf("impact deliveries: %v", err)
	}
	return ds
}

// impactPostbacks is d.Postbacks; it fails the test on an error.
func impactPostbacks(t *testing.T, d *mockimpact.Dispatcher) []mockimpact.Postback {
	t.Helper()
	ps, err := d.Postbacks(t.Context())
	if err != nil {
		t.Fatalf("impact postbacks: %v", err)
	}
	return ps
}
