package docgen

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var marker = regexp.MustCompile(`^<!-- (/?)generated:([a-z0-9-]+) -->$`)

// Rewrite returns doc with the content of every generated block replaced
// by its generator's output. It fails on an unknown name, a block left
// open, an end without its beginning, and a block inside another.
// Markers inside fenced code (```) are text, not blocks.
func Rewrite(doc string) (string, error) {
	blocks := Blocks()
	lines := strings.SplitAfter(doc, "\n")
	var out strings.Builder
	open, openLine, fenced := "", 0, false
	for i, line := range lines {
		if open == "" && strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
		}
		var m []string
		if !fenced {
			m = marker.FindStringSubmatch(strings.TrimRight(line, "\r\n"))
		}
		switch {
		case m == nil && open != "":
			continue // old content, replaced at the end marker
		case m == nil:
			out.WriteString(line)
			continue
		case m[1] == "" && open != "":
			return "", fmt.Errorf("line %d: block %q begins inside %q (line %d)", i+1, m[2], open, openLine)
		case m[1] == "":
			if blocks[m[2]] == nil {
				return "", fmt.Errorf("line %d: unknown generated block %q (known: %s)", i+1, m[2], strings.Join(Names(), ", "))
			}
			open, openLine = m[2], i+1
			out.WriteString(line)
		case m[2] != open:
			return "", fmt.Errorf("line %d: end of block %q, which is not open", i+1, m[2])
		default:
			out.WriteString(blocks[open]())
			out.WriteString(line)
			open = ""
		}
	}
	if open != "" {
		return "", fmt.Errorf("line %d: block %q is never closed (<!-- /generated:%s -->)", openLine, open, open)
	}
	return out.String(), nil
}

// Names returns the block names, sorted.
func Names() []string {
	var names []string
	for n := range Blocks() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
