// Package testtb defines TB, the part of testing.TB that the test-helper
// packages (oceantest, impacttest, sandboxtest) use: one interface, so a
// test handle that satisfies one satisfies them all. *testing.T,
// *testing.B and *testing.F do, and so do the handles of other test
// frameworks; each helper package names it as its own TB.
package testtb

// TB is the part of testing.TB the helpers use.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Must returns v, panicking on err: for a test's read of state that
// cannot fail (memory) or that the test needs to go on. The panic fails
// the test with the error and where it happened.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
