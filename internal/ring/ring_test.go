package ring

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBounded(t *testing.T) {
	b := New[int](3)
	for i := 1; i <= 7; i++ {
		b.Add(i)
	}
	if diff := cmp.Diff([]int{5, 6, 7}, b.Slice(nil)); diff != "" || b.Evicted() != 4 || b.Len() != 3 {
		t.Fatalf("%s evicted %d len %d", diff, b.Evicted(), b.Len())
	}
	if got := b.Slice(func(v *int) bool { return *v%2 == 1 }); !cmp.Equal([]int{5, 7}, got) {
		t.Fatalf("filtered %v", got)
	}
	b.Reset()
	b.Add(9)
	if !cmp.Equal([]int{9}, b.Slice(nil)) || b.Evicted() != 0 {
		t.Fatal("reset")
	}
}

func TestUnbounded(t *testing.T) {
	var b Buffer[string]
	for range 1000 {
		b.Add("x")
	}
	if b.Len() != 1000 || b.Evicted() != 0 {
		t.Fatalf("len %d evicted %d", b.Len(), b.Evicted())
	}
}
