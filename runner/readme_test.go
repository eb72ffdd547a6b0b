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

// TestDocScenariosPass runs every scenario the README and docs/ show: the
// complete files as they are, and a fragment that starts at impact: or
// ocean: under a name of its own. An example that no longer loads or
// passes fails here, named by its file and block.
func TestDocScenariosPass(t *testing.T) {
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ran := map[string]int{}
	for _, path := range append([]string{"../README.md"}, docs...) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
		for i, b := range blocks {
			text := b[1]
			body := regexp.MustCompile(`^(# yaml-language-server: .*\n)+`).ReplaceAllString(text, "")
			switch {
			case strings.HasPrefix(body, "name:"):
			case strings.HasPrefix(body, "impact:"), strings.HasPrefix(body, "ocean:"):
				text = "name: doc fragment\n" + body
			default:
				continue // a schema line alone, a serve config, an editor setting
			}
			file := filepath.Join(dir, fmt.Sprintf("%s-%d.yaml", filepath.Base(path), i+1))
			if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			res := RunScenarioFile(context.Background(), file, Options{})
			if res.Status != Pass {
				t.Errorf("%s, yaml block %d (%s): %s\n%s\n%s", path, i+1, res.Status, res.Error, fmt.Sprint(res.Failures), text)
			}
			ran[path]++
		}
	}
	if ran["../README.md"] < 1 || ran["../docs/scenarios.md"] < 3 {
		t.Fatalf("ran %v scenarios; expected the README's quick start and the receiver, deliveries and Ocean examples of docs/scenarios.md", ran)
	}
}
