package oceantest

// TB is the part of testing.TB the helpers use. *testing.T, *testing.B
// and *testing.F satisfy it, and so do the test handles of other
// frameworks.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}
