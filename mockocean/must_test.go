package mockocean_test

// must returns v, panicking on err: the memory state never fails, and a
// test reading it wants the value.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
