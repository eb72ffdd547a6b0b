// Package exampletb stands in for the *testing.T that a real test is
// given, in the runnable examples of the test-helper packages: Go
// examples have no *testing.T of their own.
package exampletb

import "fmt"

// T runs the cleanups registered on it when Done is called, and panics
// where a test would fail.
type T struct{ cleanups []func() }

// Helper does nothing.
func (t *T) Helper() {}

// Cleanup registers f to run at Done, the last registered first.
func (t *T) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

// Fatalf panics with the message.
func (t *T) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

// Done runs the cleanups, as the end of a test does.
func (t *T) Done() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}
