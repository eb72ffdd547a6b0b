package sandboxtest

import "github.com/postbacksim/postbacksim/internal/testtb"

// TB is the part of testing.TB the helpers use: Helper, Cleanup and
// Fatalf. *testing.T, *testing.B and *testing.F satisfy it, and so do
// the test handles of other frameworks. The other helper packages
// (oceantest, impacttest) take the same interface.
type TB = testtb.TB
