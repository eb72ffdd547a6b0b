package runner

import (
	"fmt"
	"reflect"
	"strings"
)

// diff explains how got differs from want, in the "-want +got" form Go
// tests print: one line per list element, the elements both share
// unmarked. It returns "" when they are equal. want and got are a
// string, an int or a []string.
func diff(what string, want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (-want +got):\n", what)
	ws, wok := want.([]string)
	gs, gok := got.([]string)
	if !wok || !gok {
		fmt.Fprintf(&b, "  %T(\n- \t%#v,\n+ \t%#v,\n  )\n", want, want, got)
		return b.String()
	}
	b.WriteString("  []string{\n")
	for _, l := range lineDiff(ws, gs) {
		fmt.Fprintf(&b, "%c \t%q,\n", l.mark, l.text)
	}
	b.WriteString("  }\n")
	return b.String()
}

type diffLine struct {
	mark byte // ' ', '-' or '+'
	text string
}

// lineDiff is the shortest edit from a to b, from their longest common
// subsequence; removals come before additions at each change.
func lineDiff(a, b []string) []diffLine {
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, diffLine{' ', a[i]})
			i, j = i+1, j+1
		case j == len(b) || i < len(a) && lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, diffLine{'-', a[i]})
			i++
		default:
			out = append(out, diffLine{'+', b[j]})
			j++
		}
	}
	return out
}
