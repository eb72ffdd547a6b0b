package main

import (
	"strings"
	"testing"
)

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "256MiB": 256 << 20, "64KiB": 64 << 10, "2GiB": 2 << 30,
		"64KB": 64_000, "5MB": 5_000_000, "1GB": 1_000_000_000, "100B": 100, " 8 MiB ": 8 << 20,
	} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1", "1.5MiB", "10TiB", "9999999999GiB"} {
		var b byteSize
		if err := b.Set(in); err == nil || !strings.Contains(err.Error(), "want a size such as 256MiB") {
			t.Errorf("Set(%q) = %d, %v; want an error", in, b, err)
		}
	}
	for n, want := range map[int64]string{0: "0", 256 << 20: "256MiB", 1 << 30: "1GiB", 64 << 10: "64KiB", 1536: "1536", 3 << 30: "3GiB"} {
		b := byteSize(n)
		if got := b.String(); got != want {
			t.Errorf("%d: String() = %q, want %q", n, got, want)
		}
	}
}
