// Package ring is a buffer that keeps the newest entries: unbounded, or
// bounded with the oldest evicted first. It stores entries in fixed-size
// segments allocated as it fills, so it never copies what it holds: adding
// costs the same at 100 entries as at 1,000,000 (a doubling slice would
// copy megabytes while its owner holds a lock). It is not safe for
// concurrent use; its owners lock.
package ring

// segSize is the number of entries in a segment.
const segSize = 1024

// Buffer holds entries in insertion order. The zero value is unbounded.
type Buffer[T any] struct {
	// Capacity bounds the buffer; 0 means unbounded. Set it before the
	// first Add.
	Capacity int
	segs     [][]T
	head     int // position of the oldest entry
	n        int
	evicted  uint64
}

// New returns a buffer bounded at capacity (0: unbounded).
func New[T any](capacity int) *Buffer[T] { return &Buffer[T]{Capacity: capacity} }

// slot returns the entry at position p (modulo Capacity when bounded),
// allocating its segment on first use.
func (b *Buffer[T]) slot(p int) *T {
	if b.Capacity > 0 {
		p %= b.Capacity
	}
	s := p / segSize
	for s >= len(b.segs) {
		b.segs = append(b.segs, nil)
	}
	if b.segs[s] == nil {
		size := segSize
		if b.Capacity > 0 {
			size = min(segSize, b.Capacity-s*segSize)
		}
		b.segs[s] = make([]T, size)
	}
	return &b.segs[s][p%segSize]
}

// Add appends v, evicting the oldest entry when full.
func (b *Buffer[T]) Add(v T) {
	if b.Capacity > 0 && b.n == b.Capacity {
		// The oldest entry's slot takes the newest, written once.
		*b.slot(b.head) = v
		b.head = (b.head + 1) % b.Capacity
		b.evicted++
		return
	}
	*b.slot(b.head + b.n) = v
	b.n++
}

// Oldest returns the oldest entry in place, nil when the buffer is empty:
// valid until the buffer next changes.
func (b *Buffer[T]) Oldest() *T {
	if b.n == 0 {
		return nil
	}
	return b.slot(b.head)
}

// Front returns the oldest entry; ok is false when the buffer is empty.
func (b *Buffer[T]) Front() (v T, ok bool) {
	if b.n == 0 {
		return v, false
	}
	return *b.slot(b.head), true
}

// PopFront removes the oldest entry (not counted as evicted).
func (b *Buffer[T]) PopFront() {
	if b.n == 0 {
		return
	}
	var zero T
	*b.slot(b.head) = zero // let the garbage collector have it
	b.head++
	if b.Capacity > 0 {
		b.head %= b.Capacity
	} else if b.head%segSize == 0 { // unbounded: free segments left behind
		b.segs[b.head/segSize-1] = nil
	}
	b.n--
}

// Len is the number of entries held.
func (b *Buffer[T]) Len() int { return b.n }

// Evicted counts the entries dropped for capacity.
func (b *Buffer[T]) Evicted() uint64 { return b.evicted }

// Each calls f on each entry, oldest first, until f returns false.
func (b *Buffer[T]) Each(f func(*T) bool) {
	for i := 0; i < b.n; i++ {
		if !f(b.slot(b.head + i)) {
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

// Tail returns the newest k entries (all when k ≥ Len), oldest first; it
// costs O(k), whatever the buffer holds.
func (b *Buffer[T]) Tail(k int) []T {
	k = max(0, min(k, b.n))
	out := make([]T, k)
	for i := range out {
		out[i] = *b.slot(b.head + b.n - k + i)
	}
	return out
}

// Range returns the entries at positions [i, j) counted from the oldest
// (0), clamped to what the buffer holds; it costs O(j-i).
func (b *Buffer[T]) Range(i, j int) []T {
	i, j = max(0, i), min(j, b.n)
	if i >= j {
		return nil
	}
	out := make([]T, j-i)
	for k := range out {
		out[k] = *b.slot(b.head + i + k)
	}
	return out
}

// Reset empties the buffer and its eviction count.
func (b *Buffer[T]) Reset() { *b = Buffer[T]{Capacity: b.Capacity} }
