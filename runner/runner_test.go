package runner

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/scenarios"
)

func run(t *testing.T, paths ...string) Report {
	t.Helper()
	rep, err := RunPaths(context.Background(), paths, Options{Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		path string
		code int
	}{
		{"testdata/mixed/pass-impact.yaml", 0},
		{"testdata/mixed", 1},
		{"testdata/invalid", 2},
	} {
		if got := run(t, c.path).ExitCode(); got != c.code {
			t.Errorf("%s: exit %d, want %d", c.path, got, c.code)
		}
	}
	if _, err := RunPaths(context.Background(), []string{"testdata/none"}, Options{}); err == nil {
		t.Error("a missing path is not an error")
	}
}

// TestFailuresAreExplained: a failing scenario says what differs, with a
// go-cmp diff, and shows the timeline.
func TestFailuresAreExplained(t *testing.T) {
	rep := run(t, "testdata/mixed")
	if rep.Passed != 2 || rep.Failed != 2 || rep.Invalid != 0 {
		t.Fatalf("%+v", rep)
	}
	textContains(t, rep,
		"FAIL    testdata/mixed/fail-impact.yaml",
		"delivery offsets (-want +got):",
		`"20s",`,
		`"15s",`,
		`query aid: want "ACT-NOT-THIS-ONE", got "ACT-`,
		"#2  +15s  delivered",
		"FAIL    testdata/mixed/fail-ocean.yaml",
		"code: want 0, got 40002",
		"PASS    testdata/mixed/pass-ocean.yaml",
		"2 passed, 2 failed\n",
	)
}

// textContains writes rep as text and reports each wanted piece it lacks.
func textContains(t *testing.T, rep Report, wants ...string) string {
	t.Helper()
	var text bytes.Buffer
	rep.WriteText(&text)
	out := text.String()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	return out
}

// TestPerDeliveryScripts: deliveries[i] gives one delivery its own
// receiver; a failure names that delivery, and the others are untouched.
func TestPerDeliveryScripts(t *testing.T) {
	rep := run(t, "testdata/perdelivery")
	if rep.Passed != 0 || rep.Failed != 1 {
		t.Fatalf("%+v", rep)
	}
	out := textContains(t, rep,
		"delivery 2 outcome (-want +got):",
		`"exhausted",`, // go-cmp varies the spaces of its diffs on purpose
		"delivery 2 attempts (-want +got):",
		"16,",
		"d000001 action_lifecycle → GET https://receiver.example/pb: delivered",
		"#16  +30h51m45s  http_error  503",
	)
	if strings.Contains(out, "delivery 1 ") {
		t.Errorf("delivery 1 reported as failing:\n%s", out)
	}
}

var wallTime = regexp.MustCompile(`time="[0-9.]+"`)

// TestDeterministic: the same files give byte-identical reports, however
// many run in parallel.
func TestDeterministic(t *testing.T) {
	render := func(parallel int) string {
		rep, err := RunPaths(context.Background(), []string{"../scenarios", "testdata/mixed"}, Options{Parallel: parallel})
		if err != nil {
			t.Fatal(err)
		}
		var b, j bytes.Buffer
		rep.WriteText(&b)
		rep.WriteJSON(&b)
		rep.WriteJUnit(&j)
		// JUnit times are wall-clock seconds; everything else is fixed.
		return b.String() + wallTime.ReplaceAllString(j.String(), `time="…"`)
	}
	a, b := render(1), render(8)
	if a != b {
		t.Fatal("two runs of the same files gave different reports")
	}
}

// TestLiveTarget sends a scenario's delivery to a real receiver on
// loopback and checks how impact classifies its answers.
func TestLiveTarget(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/pb" || r.URL.Query().Get("aid") == "" {
			w.WriteHeader(404)
			return
		}
		if hits.Add(1) == 1 {
			w.WriteHeader(502)
			return
		}
		w.Write([]byte("OK"))
	}))
	defer srv.Close()
	rep, err := RunPaths(context.Background(), []string{"testdata/live"}, Options{Target: srv.URL, TimeScale: 1000, LiveTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed != 1 || hits.Load() != 2 {
		var b bytes.Buffer
		rep.WriteText(&b)
		t.Fatalf("%d hits:\n%s", hits.Load(), b.String())
	}
}

// TestOneBadFileNeverTakesARunDown: the file that crashed goccy/go-yaml
// v1.19.2 (a tag on an empty list) is one invalid result among passing
// ones, and a panic anywhere in loading or running a file stays with it.
func TestOneBadFileNeverTakesARunDown(t *testing.T) {
	rep := run(t, "testdata/crasher")
	if rep.Passed != 2 || rep.Invalid != 1 {
		t.Fatalf("%+v", rep)
	}
	textContains(t, rep, "testdata/crasher/tag-on-empty-list.yaml:3:10: ocean.steps: tag !foo on an empty value")

	orig := load
	t.Cleanup(func() { load = orig })
	load = func(file string) (*scenarios.Scenario, error) {
		if strings.HasSuffix(file, "pass-ocean.yaml") {
			var m map[string]int
			m["boom"]++ // a nil-map write: a panic like the parser's
		}
		return orig(file)
	}
	rep = run(t, "testdata/crasher")
	if rep.Passed != 1 || rep.Invalid != 2 {
		t.Fatalf("%+v", rep)
	}
	textContains(t, rep, "testdata/crasher/pass-ocean.yaml: postbacksim failed on this file (panic: assignment to entry in nil map)")
	var buf bytes.Buffer
	if err := rep.WriteJUnit(&buf); err != nil || !strings.Contains(buf.String(), "<testsuites") {
		t.Fatalf("JUnit: %v\n%s", err, buf.String())
	}
}
