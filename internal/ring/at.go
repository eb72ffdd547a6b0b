package ring

// At returns the i-th stored entry, oldest first (0 is the front).
func (b *Buffer[T]) At(i int) (v T, ok bool) {
	if i < 0 || i >= b.n {
		return v, false
	}
	return *b.slot(b.head + i), true
}
