package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImpactStatus: status: is checked against the event's statuses, at
// its own line and column.
func TestImpactStatus(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		"  event: action_lifecycle\n  status: REVERSED\n":       "",
		"  event: action_lifecycle\n  status: APPROVED\n":       `s.yaml:4:11: impact.status: status "APPROVED" is not a status of action_lifecycle (want TRACKED, MODIFIED, REVERSED)`,
		"  event: job_completed\n  status: PENDING\n":           `s.yaml:4:11: impact.status: status "PENDING": job_completed has no status`,
		"  event: publisher_application\n  status: RETRACTED\n": "",
	} {
		path := filepath.Join(dir, "s.yaml")
		src := "name: status\nimpact:\n" + body + "  postback: {url: \"{receiver}/pb\"}\n  expect: {outcome: delivered}\n"
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", body, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want %s", body, err, want)
		}
	}
}
