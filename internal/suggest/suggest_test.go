package suggest

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"receiver", "postback", "expect", "event"}
	for name, want := range map[string]string{"recever": "receiver", "Expect": "expect", "evnet": "event", "postbak": "postback"} {
		if got, ok := Closest(name, cands); !ok || got != want {
			t.Errorf("%s → %q %v, want %q", name, got, ok, want)
		}
	}
	if got, ok := Closest("zzzzzz", cands); ok {
		t.Errorf("zzzzzz → %q", got)
	}
	if _, ok := Closest("x", nil); ok {
		t.Error("no candidates")
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("distance %d", d)
	}
}
