package mockocean

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's catalog table")

// TestREADMECatalogInSync keeps the README's error table equal to Catalog.
func TestREADMECatalogInSync(t *testing.T) {
	const path = "../README.md"
	const begin, end = "<!-- catalog:begin -->\n", "<!-- catalog:end -->"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q markers", path, strings.TrimSpace(begin), end)
	}
	want := CatalogMarkdown()
	if got := doc[i+len(begin) : j]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("README's catalog table differs from mockocean.Catalog; run: go test ./mockocean -run README -update\n got:\n%s\nwant:\n%s", got, want)
	}
}
