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

	"github.com/postbacksim/postbacksim/clock"
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
			panic("boom: a crash like the parser's")
		}
		return orig(file)
	}
	rep = run(t, "testdata/crasher")
	if rep.Passed != 1 || rep.Invalid != 2 {
		t.Fatalf("%+v", rep)
	}
	textContains(t, rep, "testdata/crasher/pass-ocean.yaml: postbacksim failed on this file (panic: boom: a crash like the parser's)")
	var buf bytes.Buffer
	if err := rep.WriteJUnit(&buf); err != nil || !strings.Contains(buf.String(), "<testsuites") {
		t.Fatalf("JUnit: %v\n%s", err, buf.String())
	}
}

// scriptLikeReceiver answers on loopback as retries.yaml scripts its
// receiver: 503, 500, then 200 OK.
func scriptLikeReceiver(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			w.WriteHeader(503)
		case 2:
			w.WriteHeader(500)
		default:
			w.Write([]byte("OK"))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// TestSameScenarioScriptedAndLive: a scenario written for the scripted
// receiver passes against a real receiver that answers as scripted: its
// offsets are compared within the default live tolerance, and the
// received check it cannot make is reported as skipped.
func TestSameScenarioScriptedAndLive(t *testing.T) {
	scripted := run(t, "testdata/both")
	if scripted.Passed != 1 || len(scripted.Results[0].Skipped) != 0 {
		t.Fatalf("scripted: %+v", scripted)
	}
	srv, hits := scriptLikeReceiver(t)
	live, err := RunPaths(context.Background(), []string{"testdata/both"}, Options{Target: srv.URL, TimeScale: 100, LiveTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	out := textContains(t, live, "PASS    testdata/both/retries.yaml",
		"skipped check impact.expect.received: live run: the receiver at --target is not scripted")
	if live.Passed != 1 || hits.Load() != 3 {
		t.Fatalf("live, %d hits:\n%s", hits.Load(), out)
	}
	if sk := live.Results[0].Skipped; len(sk) != 1 || sk[0].Path != "impact.expect.received" {
		t.Fatalf("skipped %+v", sk)
	}
}

// TestToleranceCanFail: with a tolerance below any real latency, the
// same live run fails on its offsets, and the diff shows the tolerance.
func TestToleranceCanFail(t *testing.T) {
	srv, _ := scriptLikeReceiver(t)
	live, err := RunPaths(context.Background(), []string{"testdata/both"}, Options{Target: srv.URL, TimeScale: 1000, LiveTimeout: 10 * time.Second, Tolerance: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	textContains(t, live, "FAIL    testdata/both/retries.yaml", "delivery offsets (±1ns per attempt) (-want +got):")
	if live.Failed != 1 {
		t.Fatalf("%+v", live)
	}
}

func TestTolerance(t *testing.T) {
	im := &scenarios.Impact{}
	for _, c := range []struct {
		file time.Duration
		o    Options
		want time.Duration
	}{
		{0, Options{}, 0}, // scripted: exact
		{0, Options{Target: "x", TimeScale: 1}, time.Second}, // live, slow: 1s
		{0, Options{Target: "x", TimeScale: 600}, 12 * time.Second},
		{2 * time.Second, Options{Target: "x", TimeScale: 600}, 2 * time.Second}, // the file's
		{2 * time.Second, Options{Tolerance: time.Minute}, time.Minute},          // the flag's
	} {
		im.Expect.Tolerance = clock.Duration(c.file)
		if got := Tolerance(im, c.o); got != c.want {
			t.Errorf("file %v, %+v: %v, want %v", c.file, c.o, got, c.want)
		}
	}
	// Offset i may be off by i × tolerance; the first is exact.
	want := []time.Duration{0, 15 * time.Second, 30 * time.Second}
	got := within(want, []time.Duration{0, 16 * time.Second, 32500 * time.Millisecond}, time.Second, []time.Duration{0, 0, 0})
	if got[0] != 0 || got[1] != 15*time.Second || got[2] != 32500*time.Millisecond {
		t.Errorf("within: %v", got)
	}
	// … and later by what the exchanges before it took (late), never
	// earlier.
	got = within(want, []time.Duration{0, 19 * time.Second, 26 * time.Second}, time.Second, []time.Duration{0, 4 * time.Second, 6 * time.Second})
	if got[1] != 15*time.Second || got[2] != 26*time.Second {
		t.Errorf("within, late: %v", got)
	}
}
