package scenarios

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
)

func TestLoadDecodesEverything(t *testing.T) {
	sc, err := Load("impact/recovers-after-errors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	im := sc.Impact
	if im.Postback.Success != (mockimpact.Matcher{Status: 200}) || im.Postback.Error != (mockimpact.Matcher{Text: "ERROR"}) || im.Postback.Event != "action_lifecycle" {
		t.Fatalf("postback %+v", im.Postback)
	}
	if len(im.Receiver) != 4 || im.Receiver[1].Fault != "timeout" || im.Receiver[2].Body != "ERROR" {
		t.Fatalf("receiver %+v", im.Receiver)
	}
	if im.Expect.Offsets[2].D() != 60*time.Second || im.Expect.Received[0].Query["aid"] != "{ActionId}" || im.Fire != 1 {
		t.Fatalf("expect %+v", im.Expect)
	}
}

// TestBrokenFiles: each broken file gets an error naming file, line,
// column and what is wrong.
func TestBrokenFiles(t *testing.T) {
	cases := map[string]string{
		"unknown-key.yaml":                    `unknown-key.yaml:5:3: impact.recever: unknown key "recever" (did you mean "receiver"?)`,
		"wrong-type.yaml":                     `wrong-type.yaml:6:15: impact.expect.attempts: want an integer, got "four"`,
		"bad-duration.yaml":                   `bad-duration.yaml:7:14: impact.postback.timeout: duration "soon": want a number with a unit`,
		"bad-body-template.yaml":              `bad-body-template.yaml:8:25: impact.postback.body: expected '}' to close the macro {Amount opened at 2:12, found '\n'`,
		"bad-fault.yaml":                      `bad-fault.yaml:7:14: impact.receiver[1].fault: fault "timout": want one of timeout`,
		"missing-name.yaml":                   `missing-name.yaml:1:1: name: missing: every scenario needs a name`,
		"impossible-offsets.yaml":             `impossible-offsets.yaml:8:24: impact.expect.offsets[2]: 20s is impossible: retry 2 waits 15s after attempt 2 (at 15s) ends`,
		"impossible-outcomes.yaml":            `impossible-outcomes.yaml:7:16: impact.expect.outcomes[0]: dns_failure is final, yet 1 more attempt(s) follow`,
		"too-many-attempts.yaml":              `too-many-attempts.yaml:5:42: impact.expect.attempts: 17 is impossible: a delivery makes 1 to 16 attempts`,
		"bad-macro.yaml":                      `bad-macro.yaml:5:29: impact.postback.url: unknown field "ActionID" (did you mean "ActionId"?)`,
		"unknown-event.yaml":                  `unknown-event.yaml:3:10: impact.event: "action_lifecyle" is not valid (did you mean "action_lifecycle"?)`,
		"nothing-to-check.yaml":               `nothing-to-check.yaml:5:3: impact.expect: nothing to check`,
		"bad-yaml.yaml":                       `bad-yaml.yaml:4:13: sequence end token ']' not found`,
		"ocean-impossible-msg.yaml":           `ocean-impossible-msg.yaml:5:34: ocean.steps[0].expect.msg: "missing params callback" is impossible: code 40002 always answers "params muid is empty"`,
		"ocean-two-actions.yaml":              `ocean-two-actions.yaml:4:7: ocean.steps[0]: set exactly one of request, fault, clear_faults, advance (found 2)`,
		"ocean-lenient-and-strict.yaml":       `ocean-lenient-and-strict.yaml:3:12: ocean.lenient: goes with strict: choose one`,
		"ocean-no-expect.yaml":                `ocean-no-expect.yaml:4:7: ocean.steps[0]: a request needs expect`,
		"both-kinds.yaml":                     `both-kinds.yaml:6:1: ocean: a scenario has impact or ocean, not both`,
		"duplicate-key.yaml":                  `duplicate-key.yaml:2:1: mapping key "name" already defined at [1:1]`,
		"deliveries-more-than-fire.yaml":      `deliveries-more-than-fire.yaml:7:3: impact.deliveries: 2 entries, but fire is 1`,
		"delivery-conflicts-with-expect.yaml": `delivery-conflicts-with-expect.yaml:9:16: impact.deliveries[1].expect.outcomes: 2 entries, but attempts is 1`,
		"received-macro-typo.yaml":            `received-macro-typo.yaml:7:31: impact.expect.received[0].query.aid: unknown field "ActionID" (did you mean "ActionId"?)`,
		"received-wrong-level.yaml":           `received-wrong-level.yaml:5:3: impact.received: unknown key "received" (it belongs under impact.expect: move it there)`,
		"ocean-warnings-not-list.yaml":        `ocean-warnings-not-list.yaml:5:35: ocean.steps[0].expect.warnings: want a list, got "os is a text"`,
		"success-status-class.yaml":           `success-status-class.yaml:4:42: impact.postback.success: "2xx": a status class is not a response impact.com matches`,
	}
	files, _ := filepath.Glob("testdata/broken/*.yaml")
	if len(files) != len(cases) {
		t.Errorf("%d broken files, %d cases", len(files), len(cases))
	}
	for name, want := range cases {
		path := filepath.Join("testdata", "broken", name)
		_, err := Load(path)
		var es Errors
		if !errors.As(err, &es) {
			t.Errorf("%s: %v, want Errors", name, err)
			continue
		}
		if got := err.Error(); !strings.HasPrefix(got, "testdata/broken/"+want) {
			t.Errorf("%s:\n got %s\nwant %s…", name, got, want)
		}
	}
}

func TestFindSkipsTestdata(t *testing.T) {
	files, err := Find([]string{"."})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.Contains(f, "testdata") {
			t.Fatalf("Find walked into %s", f)
		}
	}
	if _, err := Find([]string{"testdata/broken/unknown-key.yaml"}); err != nil {
		t.Fatalf("a file named directly is taken even under testdata: %v", err)
	}
	if _, err := Find([]string{"no/such/dir"}); err == nil {
		t.Fatal("missing path accepted")
	}
}
