package runner

import "testing"

// TestLibrary runs every scenario in scenarios/ (the project's library,
// one per rule of SPEC.md §A4 and §B2).
func TestLibrary(t *testing.T) { RunFile(t, "../scenarios") }
