package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: any input either loads or fails with positioned Errors;
// the loader never panics.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"impact", "ocean", "testdata/broken"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("name: x\nimpact: [1, {a: b}]\n"))
	f.Add([]byte("&a [*a]"))
	// Near the goccy/go-yaml v1.19.2 crash (a tag on an empty list, see
	// testdata/fuzz/FuzzParse): one edit away, so a fuzzer finds a crash
	// like it again within seconds if the guard goes.
	// The crash itself on every list key: the baseline run of make fuzz
	// (and go test) fails at once if the guard goes.
	impact := "name: x\nimpact:\n  event: action_lifecycle\n  postback: {url: \"{receiver}/pb\"}\n"
	for _, list := range []string{"receiver", "deliveries", "expect:\n    offsets", "expect:\n    outcomes",
		"expect:\n    first_attempt_at", "expect:\n    received", "deliveries:\n    - receiver"} {
		f.Add([]byte(impact + "  " + list + ": !t\n"))
	}
	f.Add([]byte("name: x\nocean:\n  steps: !t\n"))
	f.Add([]byte("name: x\nocean:\n  steps: !t []\n"))
	f.Add([]byte("name: x\nocean:\n  steps: !t x\n"))
	f.Add([]byte("name: x\nimpact:\n  receiver: !!seq [{status: 200}]\n  deliveries: !d 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err == nil {
			if sc == nil || (sc.Impact == nil) == (sc.Ocean == nil) {
				t.Fatalf("loaded an impossible scenario: %+v", sc)
			}
			return
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error %T %v is not Errors", err, err)
		}
		for _, e := range es {
			if e.File != "fuzz.yaml" || e.Msg == "" {
				t.Fatalf("error without file or message: %+v", e)
			}
			if strings.HasPrefix(e.Msg, parserPanic) {
				t.Fatalf("the parser panicked (Parse recovered): %s", e.Msg)
			}
		}
	})
}
