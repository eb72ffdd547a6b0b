package mockocean_test

import (
	"testing"

	"github.com/postbacksim/postbacksim/internal/storetest"
	"github.com/postbacksim/postbacksim/mockocean"
)

// TestMemoryStateContract runs the State contract on the memory state.
func TestMemoryStateContract(t *testing.T) {
	storetest.Ocean(t, func(_ *testing.T, c mockocean.StateConfig) mockocean.State {
		return mockocean.MemoryStore{}.Open(c)
	})
}
