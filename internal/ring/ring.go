// Package ring is a buffer that keeps the newest entries: unbounded, or
// bounded with the oldest evicted first. It is not safe for concurrent
// use; its owners lock.
package ring

// Buffer holds entries in insertion order. The zero value is unbounded.
type Buffer[T any] struct {
	// Capacity bounds the buffer; 0 means unbounded.
	Capacity int
	buf      []T
	head, n  int
	evicted  uint64
}

// New returns a buffer bounded at capacity (0: unbounded).
func New[T any](capacity int) *Buffer[T] { return &Buffer[T]{Capacity: capacity} }

// Add appends v, evicting the oldest entry when full.
func (b *Buffer[T]) Add(v T) {
	switch {
	case b.Capacity <= 0 || len(b.buf) < b.Capacity:
		if b.head != 0 { // only when bounded and full, which this branch excludes
			panic("ring: inconsistent state")
		}
		b.buf = append(b.buf, v)
		b.n++
	default:
		b.buf[b.head] = v
		b.head = (b.head + 1) % len(b.buf)
		b.evicted++
	}
}

// Len is the number of entries held.
func (b *Buffer[T]) Len() int { return b.n }

// Evicted counts the entries dropped for capacity.
func (b *Buffer[T]) Evicted() uint64 { return b.evicted }

// Each calls f on each entry, oldest first, until f returns false.
func (b *Buffer[T]) Each(f func(*T) bool) {
	for i := 0; i < b.n; i++ {
		if !f(&b.buf[(b.head+i)%len(b.buf)]) {
			return
		}
	}
}

// Slice returns the entries that keep accepts (all when keep is nil),
// oldest first.
func (b *Buffer[T]) Slice(keep func(*T) bool) []T {
	out := make([]T, 0, b.n)
	b.Each(func(v *T) bool {
		if keep == nil || keep(v) {
			out = append(out, *v)
		}
		return true
	})
	return out
}

// Reset empties the buffer and its eviction count.
func (b *Buffer[T]) Reset() { *b = Buffer[T]{Capacity: b.Capacity} }
