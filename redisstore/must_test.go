package redisstore_test

// must returns v, failing loudly on err: a read the test expects to
// succeed.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
