package mockimpact_test

import (
	"context"
	"testing"

	"github.com/postbacksim/postbacksim/mockimpact"
)

// deliveries is d.Deliveries; it fails the test on an error.
func deliveries(t testing.TB, d *mockimpact.Dispatcher) []mockimpact.Delivery {
	t.Helper()
	ds, err := d.Deliveries(context.Background())
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	return ds
}

// delivery is d.Delivery; it fails the test on an error.
func delivery(t testing.TB, d *mockimpact.Dispatcher, id string) (mockimpact.Delivery, bool) {
	t.Helper()
	dl, ok, err := d.Delivery(context.Background(), id)
	if err != nil {
		t.Fatalf("Delivery: %v", err)
	}
	return dl, ok
}

// stats is d.Stats; it fails the test on an error.
func stats(t testing.TB, d *mockimpact.Dispatcher) mockimpact.Stats {
	t.Helper()
	st, err := d.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return st
}
