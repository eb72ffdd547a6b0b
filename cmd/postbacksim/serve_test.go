package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestMemoryLimit: a given --memory-limit wins (0: none), then
// GOMEMLIMIT, then the default derived from the caps.
func TestMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	def := defaultMemoryLimit(256<<20, 100_000, 1_000_000)
	if def != 537<<20 {
		t.Errorf("default for the default caps: %d MiB, want 537 MiB (1.25 × (256 MiB + 1M ids × 128 B) + 64 MiB)", def>>20)
	}
	if got := defaultMemoryLimit(0, 1000, 0); got != (1000*4<<10*5/4+64<<20+1<<20-1)&^(1<<20-1) {
		t.Errorf("no byte budget: %d", got)
	}
	t.Setenv("GOMEMLIMIT", "")
	if got := applyMemoryLimit(false, 0, 256<<20, 100_000, 1_000_000); got != def || debug.SetMemoryLimit(-1) != def {
		t.Errorf("default: returned %d, runtime has %d, want %d", got, debug.SetMemoryLimit(-1), def)
	}
	if got := applyMemoryLimit(true, 300<<20, 256<<20, 100_000, 1_000_000); got != 300<<20 || debug.SetMemoryLimit(-1) != 300<<20 {
		t.Errorf("given: %d", got)
	}
	if got := applyMemoryLimit(true, 0, 256<<20, 100_000, 1_000_000); got != 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Errorf("given 0: %d, runtime %d", got, debug.SetMemoryLimit(-1))
	}
	debug.SetMemoryLimit(123 << 20) // as the runtime does at start with GOMEMLIMIT=123MiB
	t.Setenv("GOMEMLIMIT", "123MiB")
	if got := applyMemoryLimit(false, 0, 256<<20, 100_000, 1_000_000); got != 123<<20 {
		t.Errorf("GOMEMLIMIT: %d", got)
	}
}
