package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEScenariosPass runs every scenario the README shows: the
// complete files as they are, and a fragment that starts at impact: or
// ocean: under a name of its own. A README example that no longer loads
// or passes fails here.
func TestREADMEScenariosPass(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	dir := t.TempDir()
	ran := 0
	for i, b := range blocks {
		text := b[1]
		body := strings.TrimPrefix(text, "# yaml-language-server: $schema=./scenario.schema.json\n")
		switch {
		case strings.HasPrefix(body, "name:"):
		case strings.HasPrefix(body, "impact:"), strings.HasPrefix(body, "ocean:"):
			text = "name: README fragment\n" + body
		default:
			continue // the schema line alone, a serve config
		}
		file := filepath.Join(dir, fmt.Sprintf("readme-%d.yaml", i+1))
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		res := RunScenarioFile(context.Background(), file, Options{})
		if res.Status != Pass {
			t.Errorf("README block %d (%s): %s\n%s\n%s", i+1, res.Status, res.Error, strings.Join(res.Failures, "\n"), text)
		}
		ran++
	}
	if ran < 3 {
		t.Fatalf("ran %d README scenarios; expected the receiver, deliveries and Ocean examples", ran)
	}
}
