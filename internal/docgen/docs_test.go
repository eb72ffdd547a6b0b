package docgen

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated blocks of README.md and docs/*.md")

// markdownFiles are the repository's documents that may hold blocks:
// README.md and every .md file under docs/.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"../../README.md"}
	err := filepath.WalkDir("../../docs", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

// TestDocsInSync: every generated block of README.md and docs/*.md equals
// what its table renders today.
func TestDocsInSync(t *testing.T) {
	blocks := 0
	for _, path := range markdownFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc := string(raw)
		blocks += strings.Count(doc, "<!-- /generated:")
		want, err := Rewrite(doc)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if want == doc {
			continue
		}
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("%s: a generated block differs from its table; run: go test ./internal/docgen -update\n%s", path, firstDifference(doc, want))
	}
	if blocks == 0 {
		t.Error("no generated block in README.md or docs/*.md")
	}
}

// firstDifference shows the first line where got and want differ.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, g[i], w[i])
		}
	}
	return "the files differ in length"
}

// TestDocsInSyncCatchesATamperedDoc: a row edited by hand inside a
// block of a real document (docs/platforms.md's outcomes) is what
// TestDocsInSync reports.
func TestDocsInSyncCatchesATamperedDoc(t *testing.T) {
	raw, err := os.ReadFile("../../docs/platforms.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	begin := strings.Index(doc, "<!-- generated:impact-outcomes -->")
	if begin < 0 {
		t.Fatal("docs/platforms.md has no impact-outcomes block: tamper with another")
	}
	tampered := doc[:begin] + strings.Replace(doc[begin:], "| `http_error` | yes |", "| `http_error` | no |", 1)
	if tampered == doc {
		t.Fatal("the tampering changed nothing")
	}
	if fixed, err := Rewrite(tampered); err != nil || fixed == tampered || fixed != doc {
		t.Errorf("the tampered document is not caught and restored (err %v)", err)
	}
}
