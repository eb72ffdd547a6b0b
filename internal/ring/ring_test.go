package ring

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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

// TestAgainstASlice compares the buffer with a plain slice model across
// segment boundaries, bounded and unbounded, with pops.
func TestAgainstASlice(t *testing.T) {
	for _, capacity := range []int{0, 1, 5, 1023, 1024, 1025, 3000} {
		b := New[int](capacity)
		var model []int
		for i := range 5000 {
			if i%7 == 3 && len(model) > 0 {
				b.PopFront()
				model = model[1:]
			}
			b.Add(i)
			model = append(model, i)
			if capacity > 0 && len(model) > capacity {
				model = model[1:]
			}
			if front, ok := b.Front(); !ok || front != model[0] {
				t.Fatalf("cap %d step %d: front %d, want %d", capacity, i, front, model[0])
			}
			if oldest := b.Oldest(); oldest == nil || *oldest != model[0] {
				t.Fatalf("cap %d step %d: oldest %v, want %d", capacity, i, oldest, model[0])
			}
		}
		if diff := cmp.Diff(model, b.Slice(nil)); diff != "" || b.Len() != len(model) {
			t.Fatalf("cap %d: (-model +ring):\n%s", capacity, diff)
		}
		for _, r := range [][2]int{{0, 1}, {-3, 2}, {5, 5}, {7, 3}, {len(model) - 1030, len(model) + 9}, {100, 1124}} {
			lo, hi := max(0, r[0]), min(r[1], len(model))
			var want []int
			if lo < hi {
				want = model[lo:hi]
			}
			if diff := cmp.Diff(want, b.Range(r[0], r[1]), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("cap %d: Range(%d, %d) (-model +ring):\n%s", capacity, r[0], r[1], diff)
			}
		}
		for _, k := range []int{-1, 0, 1, 2, 1024, 1500, len(model), len(model) + 5} {
			want := model[len(model)-max(0, min(k, len(model))):]
			if diff := cmp.Diff(want, b.Tail(k), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("cap %d: Tail(%d) (-model +ring):\n%s", capacity, k, diff)
			}
		}
	}
}

func BenchmarkAddAtCapacity(b *testing.B) {
	r := New[[4]string](1_000_000)
	for b.Loop() {
		r.Add([4]string{})
	}
}
