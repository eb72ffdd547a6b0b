package main

import (
	"fmt"
	"strconv"
	"strings"
)

// byteSize is a flag holding a number of bytes, written plainly (1048576)
// or with a unit: KiB, MiB, GiB (powers of 1024) or KB, MB, GB (of 1000).
type byteSize int64

var byteUnits = []struct {
	suffix string
	factor int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// Set parses s, plain or with a unit.
func (b *byteSize) Set(s string) error {
	text := strings.TrimSpace(s)
	factor := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(text, u.suffix); ok {
			text, factor = strings.TrimSpace(num), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/factor {
		return fmt.Errorf("%q: want a size such as 256MiB, 64KB or 1048576", s)
	}
	*b = byteSize(n * factor)
	return nil
}

// Type names the flag's value in help and completion.
func (b *byteSize) Type() string { return "size" }

// String writes the size with the largest binary unit that divides it.
func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range byteUnits[:3] {
		if n >= u.factor && n%u.factor == 0 && (u.suffix == "GiB" || n%(u.factor<<10) != 0) {
			return fmt.Sprintf("%d%s", n/u.factor, u.suffix)
		}
	}
	return strconv.FormatInt(n, 10)
}
