package scenarios

import (
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
