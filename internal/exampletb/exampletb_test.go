package exampletb

import (
	"slices"
	"testing"
)

func TestCleanupsRunLastFirst(t *testing.T) {
	var got []int
	tb := &T{}
	tb.Cleanup(func() { got = append(got, 1) })
	tb.Cleanup(func() { got = append(got, 2) })
	tb.Done()
	tb.Done() // once only
	if !slices.Equal(got, []int{2, 1}) {
		t.Fatalf("cleanups ran %v, want [2 1]", got)
	}
	defer func() {
		if p := recover(); p != "boom 7" {
			t.Fatalf("Fatalf panicked with %v", p)
		}
	}()
	tb.Fatalf("boom %d", 7)
}
