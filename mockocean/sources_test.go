package mockocean

import (
	"os"
	"strings"
	"testing"
)

// TestMacroSourceWording: no source document lists the monitoring-link
// macros, and neither the docs nor this package may say one does.
func TestMacroSourceWording(t *testing.T) {
	for _, path := range []string{"../docs/platforms.md", "monitor.go"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(b)), " ") // comments wrap anywhere
		text = strings.ReplaceAll(text, " // ", " ")
		for _, wrong := range []string{"document names the macros", "document lists the macros", "documented macros"} {
			if strings.Contains(text, wrong) {
				t.Errorf("%s says %q: no source document lists the monitoring-link macros (docs/platforms.md#d-ocean-monitor-macros)", path, wrong)
			}
		}
	}
}
