package docgen

import (
	"strings"
	"testing"
)

func TestEveryBlockIsATable(t *testing.T) {
	for name, gen := range Blocks() {
		out := gen()
		if !strings.HasPrefix(out, "| ") || !strings.HasSuffix(out, " |\n") || strings.Count(out, "\n") < 3 {
			t.Errorf("%s: not a Markdown table with rows:\n%s", name, out)
		}
	}
}

func TestRewriteReplacesBlockContent(t *testing.T) {
	faults := Blocks()["impact-faults"]()
	good := "# Doc\n\n<!-- generated:impact-faults -->\n" + faults + "<!-- /generated:impact-faults -->\n\ntext\n"
	if got, err := Rewrite(good); err != nil || got != good {
		t.Fatalf("an up-to-date document changed: %v\n%s", err, got)
	}
	// A tampered copy: one row edited, one row dropped.
	tampered := strings.Replace(good, "the connection is refused", "the connection is accepted", 1)
	tampered = strings.Replace(tampered, "| `dns` | the host does not resolve |\n", "", 1)
	if tampered == good {
		t.Fatal("the tampering changed nothing")
	}
	if got, err := Rewrite(tampered); err != nil || got != good {
		t.Fatalf("the tampered copy was not restored: %v\n%s", err, got)
	}
	// Empty content is filled.
	empty := "<!-- generated:impact-faults -->\n<!-- /generated:impact-faults -->\n"
	if got, _ := Rewrite(empty); got != "<!-- generated:impact-faults -->\n"+faults+"<!-- /generated:impact-faults -->\n" {
		t.Fatalf("empty block not filled:\n%s", got)
	}
}

func TestRewriteRejectsBadMarkers(t *testing.T) {
	for doc, want := range map[string]string{
		"<!-- generated:nope -->\n<!-- /generated:nope -->\n":                                                       `unknown generated block "nope"`,
		"x\n<!-- generated:impact-faults -->\n| a |\n":                                                              `line 2: block "impact-faults" is never closed`,
		"<!-- /generated:impact-faults -->\n":                                                                       `end of block "impact-faults", which is not open`,
		"<!-- generated:impact-faults -->\n<!-- generated:impact-outcomes -->\n<!-- /generated:impact-faults -->\n": `begins inside "impact-faults"`,
		"<!-- generated:impact-faults -->\n<!-- /generated:impact-outcomes -->\n":                                   `end of block "impact-outcomes", which is not open`,
	} {
		if _, err := Rewrite(doc); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", doc, err, want)
		}
	}
}

func TestRewriteSkipsFencedCode(t *testing.T) {
	doc := "```markdown\n<!-- generated:impact-faults -->\nexample\n<!-- /generated:impact-faults -->\n```\n"
	if got, err := Rewrite(doc); err != nil || got != doc {
		t.Fatalf("a marker in fenced code was treated as a block: %v\n%s", err, got)
	}
}

func TestRetryScheduleTable(t *testing.T) {
	got := Blocks()["impact-retry-schedule"]()
	for _, row := range []string{"| 1 | — | 0s |", "| 2 | 15s | 15s |", "| 5 | 3m | 3m45s |", "| 9 | 15m | 51m45s |", "| 16 | 6h | 30h51m45s |"} {
		if !strings.Contains(got, row+"\n") {
			t.Errorf("no row %q in\n%s", row, got)
		}
	}
}

func TestTableEscapesPipes(t *testing.T) {
	got := table([]string{"a", "b"}, [][]string{{"x|y", "z"}})
	if want := "| a | b |\n| --- | --- |\n| x\\|y | z |\n"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
