package scenarios

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/goccy/go-yaml"
	js "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/postbacksim/postbacksim/clock"
)

// runtimeOnly are the cross-field rules the loader checks and the
// schema does not state (docs/scenarios.md lists them), each with a
// pattern of the loader's message, and the hand-written corpus files
// that show it. A generated file may disagree only by one of these
// messages. The schema is never stricter than the loader: there is no
// list for that.
var runtimeOnly = []struct {
	reason  string
	message *regexp.Regexp
	files   []string
}{
	{"offsets faster than the retry schedule (depends on the previous offset)",
		regexp.MustCompile(`offsets\[\d+\]: \S+ is impossible: retry \d+ waits`), []string{"impossible-offsets.yaml"}},
	{"outcome contradicts the last of outcomes",
		regexp.MustCompile(`outcome: "\w+" contradicts outcomes`), []string{"outcome-contradicts.yaml"}},
	{"a final attempt outcome followed by more attempts",
		regexp.MustCompile(`outcomes\[\d+\]: \w+ is final, yet`), []string{"final-outcome-then-more.yaml"}},
	{"a retried attempt outcome as the last of attempts",
		regexp.MustCompile(`outcomes\[\d+\]: \w+ is retried, so attempt`), []string{"retried-outcome-last.yaml"}},
	{"offsets or outcomes of another length than attempts",
		regexp.MustCompile(`(offsets|outcomes): \d+ entries, but attempts is`), []string{"offsets-len-vs-attempts.yaml"}},
	{"a msg that its code never has",
		regexp.MustCompile(`msg: ".*" is impossible: code -?\d+ always answers`), []string{"ocean-msg-contradicts-code.yaml"}},
	{"a code the emulator never answers, nor a fault of the scenario",
		regexp.MustCompile(`code: -?\d+ is not an answer the emulator gives`), []string{"ocean-unknown-code.yaml"}},
	{"postback.event differs from impact.event",
		regexp.MustCompile(`postback.event: ".*" differs from impact.event`), []string{"postback-event-differs.yaml"}},
	{"more deliveries entries, first_attempt_at entries or a received delivery than events fired",
		regexp.MustCompile(`(deliveries: \d+ entries, but fire is|first_attempt_at: \d+ entries for|delivery: \d+, but only \d+ event)`),
		[]string{"deliveries-more-than-fire.yaml", "received-delivery-beyond-fire.yaml", "first-attempt-at-beyond-fire.yaml"}},
	{"first_attempt_at before min_delay",
		regexp.MustCompile(`first_attempt_at\[\d+\]: \S+ is impossible: min_delay is`), []string{"first-attempt-before-min-delay.yaml"}},
	{"the same response as success and error",
		regexp.MustCompile(`postback.error: ".*" is also the success response`), []string{"error-is-success.yaml"}},
	{"a template that does not compile (macro names, syntax)",
		regexp.MustCompile(`^$`), []string{"bad-url-template.yaml", "bad-body-template.yaml"}},
	{"a YAML tag on a duration or a response matcher (JSON has no tags)",
		regexp.MustCompile(`tag \S+: a duration or a response matcher takes no tag`), []string{"tag-on-duration.yaml"}},
	{"a name of spaces only", regexp.MustCompile(`name: missing`), []string{"name-blank.yaml"}},
	{"a nested request parameter without api: v2 (the v2 API's document nests, the legacy parameters do not)",
		regexp.MustCompile(`request.params.\S+: a nested value needs api: v2`), []string{"params-list.yaml"}},
	{"a fault match key a typo away from a documented parameter (it would never match)",
		regexp.MustCompile(`fault: field match: ".*" is not a parameter \(did you mean`), []string{"fault-match-typo.yaml"}},
	{"a postback URL without macros that is not an http(s) URL (checked as the configuration is saved)",
		regexp.MustCompile(`postback.url: invalid URL ".*": `), []string{"static-url-not-http.yaml"}},
}

// runtimeOnlyReason is why the loader may reject a file the schema
// accepts, or "".
func runtimeOnlyReason(name, loaderErr string) string {
	for _, r := range runtimeOnly {
		if slices.Contains(r.files, strings.TrimPrefix(name, "corpus/")) {
			return r.reason
		}
	}
	if !strings.HasPrefix(name, "gen/") {
		return ""
	}
	var reason string
	for _, line := range strings.Split(loaderErr, "\n") {
		found := ""
		for _, r := range runtimeOnly {
			if r.message.String() != "^$" && r.message.MatchString(line) {
				found = r.reason
			}
		}
		if found == "" {
			return "" // a message no runtime-only rule explains
		}
		reason = found
	}
	return reason
}

// loaderAccepts reports whether the Go loader loads data.
func loaderAccepts(data []byte) (bool, string) {
	_, err := Parse("corpus.yaml", data)
	if err != nil {
		return false, err.Error()
	}
	return true, ""
}

// schemaAccepts reports whether the committed JSON Schema accepts data.
func schemaAccepts(t *testing.T, s *js.Schema, data []byte) (bool, string) {
	t.Helper()
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return false, "not YAML: " + err.Error()
	}
	v, err := js.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return false, "not JSON: " + err.Error()
	}
	if err := s.Validate(v); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// agreementCorpus is the files TestSchemaAgreesWithLoader runs:
// hand-written (testdata/corpus) and generated from the types.
func agreementCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	corpus := map[string][]byte{}
	files, _ := filepath.Glob("testdata/corpus/*.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		corpus["corpus/"+filepath.Base(f)] = b
	}
	if len(files) < 40 {
		t.Fatalf("only %d hand-written corpus files", len(files))
	}
	for name, data := range generatedCorpus(t) {
		corpus[name] = data
	}
	if len(corpus) < 60 {
		t.Fatalf("a corpus of %d files", len(corpus))
	}
	return corpus
}

// TestSchemaAgreesWithLoader runs a corpus of valid and invalid files,
// hand-written (testdata/corpus) and generated from the types, through
// the Go loader and the JSON Schema (as an editor uses it), and fails on
// any disagreement outside runtimeOnly.
func TestSchemaAgreesWithLoader(t *testing.T) {
	s := compileSchema(t)
	corpus := agreementCorpus(t)
	names := make([]string, 0, len(corpus))
	for n := range corpus {
		names = append(names, n)
	}
	sort.Strings(names)
	type verdict struct {
		lok, sok   bool
		lerr, serr string
	}
	verdicts := make([]verdict, len(names))
	var wg sync.WaitGroup
	work := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range work {
				v := &verdicts[i]
				v.lok, v.lerr = loaderAccepts(corpus[names[i]])
				v.sok, v.serr = schemaAccepts(t, s, corpus[names[i]])
			}
		})
	}
	for i := range names {
		work <- i
	}
	close(work)
	wg.Wait()
	valid, invalid, usedRuntimeOnly := 0, 0, map[string]bool{} // by reason
	for i, name := range names {
		data := corpus[name]
		lok, lerr, sok, serr := verdicts[i].lok, verdicts[i].lerr, verdicts[i].sok, verdicts[i].serr
		if lok {
			valid++
		} else {
			invalid++
		}
		switch {
		case lok && !sok:
			t.Errorf("%s: the loader accepts it, the schema does not (the schema is stricter than the runtime):\n%s\n%s", name, serr, data)
			if os.Getenv("AGREE_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "STRICT %s\t%s\n", name, strings.ReplaceAll(serr, "\n", " | "))
			}
		case !lok && sok:
			if reason := runtimeOnlyReason(name, lerr); reason != "" {
				usedRuntimeOnly[reason] = true
				continue
			}
			t.Errorf("%s: the schema accepts it, the loader does not:\n%s\n%s", name, lerr, data)
			if os.Getenv("AGREE_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "LOOSE %s\t%s\n", name, strings.ReplaceAll(lerr, "\n", " | "))
			}
		case !lok && strings.HasPrefix(name, "corpus/") && runtimeOnlyReason(name, lerr) != "":
			t.Errorf("%s is listed runtime-only, yet the schema rejects it too: drop it from runtimeOnly", name)
		}
	}
	for _, r := range runtimeOnly {
		if !usedRuntimeOnly[r.reason] {
			t.Errorf("runtimeOnly lists %q, which no corpus file shows", r.reason)
		}
	}
	if valid < 20 || invalid < 30 {
		t.Errorf("corpus of %d valid and %d invalid files: want both kinds", valid, invalid)
	}
	t.Logf("%d files: %d valid, %d invalid", len(corpus), valid, invalid)
}

// generatedCorpus mutates two full scenarios (impact and Ocean) at every
// path: each value replaced by values of every JSON kind and at the
// bounds, each key removed, an unknown key added to every mapping.
func generatedCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, base := range []string{"testdata/corpus/full-impact.yaml", "testdata/corpus/full-ocean.yaml"} {
		data, err := os.ReadFile(base)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		candidates := []any{
			nil, -1, 0, 1, 42, 200, 600, 1.5, true,
			"", "x", "15s", "-5s", "0s", "delivered",
			[]any{}, map[string]any{}, map[string]any{"a": 5},
		}
		var walk func(path string, v any, set func(any))
		emit := func(name string) {
			b, err := yaml.Marshal(doc)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = b
		}
		walk = func(path string, v any, set func(any)) {
			for i, c := range candidates {
				set(c)
				emit(fmt.Sprintf("gen/%s/%s=%d", filepath.Base(base), path, i))
			}
			set(v)
			switch v := v.(type) {
			case map[string]any:
				keys := make([]string, 0, len(v))
				for k := range v {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				v["unknown_key"] = 1
				emit(fmt.Sprintf("gen/%s/%s.unknown_key", filepath.Base(base), path))
				delete(v, "unknown_key")
				for _, k := range keys {
					val := v[k]
					delete(v, k)
					emit(fmt.Sprintf("gen/%s/%s.%s-removed", filepath.Base(base), path, k))
					v[k] = val
					walk(path+"."+k, val, func(n any) { v[k] = n })
				}
			case []any:
				for i := range v {
					walk(fmt.Sprintf("%s[%d]", path, i), v[i], func(n any) { v[i] = n })
				}
			}
		}
		walk("", doc, func(n any) { doc = n })
	}
	return out
}

// TestDurationPatternMatchesParser: the schema's duration pattern accepts
// exactly the strings the loader accepts (clock.ParseDuration, without a
// minus sign), and the zero pattern exactly the zero ones.
func TestDurationPatternMatchesParser(t *testing.T) {
	pattern, zero := regexp.MustCompile(durationPattern), regexp.MustCompile(zeroDurationPattern)
	for _, s := range []string{
		"15s", "1m0s", "1h30m", "2h", "90s", "1.5h", ".5s", "5.s", "1d", "0d", "1d12h", "2d0s", "1d+5s", "+5s", "0", "+0", "1d0",
		" 15s ", "300ms", "1us", "1µs", "1μs", "10ns", "0s", "0.0s", "0m0s", "00s",
		"", " ", "15", "1.5d", "01d", "d", "1d1d", "s", "15 s", "15S", "-5s", "1d-5s", "-0", "1e3s", "15sec", "+", "1d+", "1h-",
	} {
		v, err := clock.ParseDuration(s)
		loader := err == nil && !strings.Contains(s, "-")
		if got := pattern.MatchString(s); got != loader {
			t.Errorf("%q: the pattern says %v, the loader %v (%v)", s, got, loader, err)
		}
		if loader {
			if got := zero.MatchString(s); got != (v == 0) {
				t.Errorf("%q (%v): the zero pattern says %v", s, v, got)
			}
		}
	}
}

// TestMatcherSchemaMatchesParser: success: accepts in the schema exactly
// what mockimpact.ParseMatcher accepts, for texts and for numbers.
func TestMatcherSchemaMatchesParser(t *testing.T) {
	s := compileSchema(t)
	for _, v := range []string{
		`200`, `599`, `600`, `99`, `042`, `-10`, `-1`, `42`, `1000`, `1.5`, `true`,
		`"OK"`, `"200"`, `"600"`, `"+99"`, `" 201 "`, `"text:"`, `"text: "`, `"text:600"`, `"status:200"`,
		`"status: 204"`, `"status:600"`, `"status:x"`, `"status:+200"`, `"2000"`, `"abc"`,
		`404`, `"500"`, `"status:503"`, `"status: +0404"`, `"text:500"`, `399`, `"status:399"`,
	} {
		doc := `name: x
impact:
  event: action_lifecycle
  postback: {url: "{receiver}/pb", success: ` + v + `}
  expect: {attempts: 1}
`
		lok, lerr := loaderAccepts([]byte(doc))
		sok, serr := schemaAccepts(t, s, []byte(doc))
		if lok != sok {
			t.Errorf("success: %s: loader %v (%s), schema %v (%s)", v, lok, lerr, sok, serr)
		}
	}
}
