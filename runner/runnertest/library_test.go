package runnertest_test

import (
	"testing"

	"github.com/postbacksim/postbacksim/runner/runnertest"
)

// TestLibrary runs every scenario in scenarios/ (the project's library,
// one per documented rule of both platforms).
func TestLibrary(t *testing.T) { runnertest.Run(t, "../../scenarios") }
