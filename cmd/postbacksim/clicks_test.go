package main

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/sandbox"
)

// TestClicksForANamespace: --namespace signs callbacks with that
// namespace's key and points __CALLBACK_URL__ at its path.
func TestClicksForANamespace(t *testing.T) {
	var mu sync.Mutex
	var got []url.Values
	monitor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Query())
		mu.Unlock()
	}))
	defer monitor.Close()
	key := strings.Repeat("ab", 16)
	code, _, errs := runCLI("ocean", "clicks", "--monitor-url", monitor.URL+"/m?cb=__CALLBACK_PARAM__&url=__CALLBACK_URL__",
		"--count", "3", "--rate", "0", "--callback-key", key, "--callback-base", "http://sandbox.test", "--namespace", "team-a")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	raw, _ := hex.DecodeString(key)
	own := mockocean.NewIssuer(sandbox.NamespaceKey(raw, "team-a"))
	shared := mockocean.NewIssuer(raw)
	if len(got) != 3 {
		t.Fatalf("monitor got %d clicks", len(got))
	}
	for _, q := range got {
		cb := q.Get("cb")
		if !own.Verify(cb) || shared.Verify(cb) {
			t.Errorf("callback %s is not signed with team-a's key", cb)
		}
		if u := q.Get("url"); !strings.HasPrefix(u, "http://sandbox.test/ns/team-a/track/activate/?callback=") {
			t.Errorf("__CALLBACK_URL__ = %s", u)
		}
	}
	if code, _, errs := runCLI("ocean", "clicks", "--monitor-url", monitor.URL, "--namespace", "Team A"); code != exitUsage || !strings.Contains(errs, `--namespace: namespace "Team A": want 1–63 of a-z`) {
		t.Errorf("bad namespace: exit %d, %s", code, errs)
	}
}

// TestOceanClicksKind: --kind play sends valid plays (their callbacks say
// so); --impressions keeps working; bad or conflicting kinds are errors.
func TestOceanClicksKind(t *testing.T) {
	var mu sync.Mutex
	var cbs []string
	monitor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cbs = append(cbs, r.URL.Query().Get("cb"))
		mu.Unlock()
	}))
	defer monitor.Close()
	key := strings.Repeat("cd", 16)
	raw, _ := hex.DecodeString(key)
	is := mockocean.NewIssuer(raw)
	for _, c := range []struct {
		args             []string
		play, impression bool
	}{
		{[]string{"--kind", "play"}, true, false},
		{[]string{"--impressions"}, false, true},
		{[]string{"--kind", "impression", "--impressions"}, false, true},
		{nil, false, false},
	} {
		cbs = nil
		args := append([]string{"ocean", "clicks", "--monitor-url", monitor.URL + "/m?cb=__CALLBACK_PARAM__", "--count", "1", "--rate", "0", "--callback-key", key}, c.args...)
		if code, _, errs := runCLI(args...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", c.args, code, errs)
		}
		ref, err := is.Parse(cbs[0])
		if err != nil || ref.Play != c.play || ref.Impression != c.impression {
			t.Errorf("%v: callback %+v %v", c.args, ref, err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind", "view"}, `--kind: "view" is not click, impression or play`},
		{[]string{"--kind", "play", "--impressions"}, "--impressions and --kind play: choose one"},
	} {
		args := append([]string{"ocean", "clicks", "--monitor-url", monitor.URL}, c.args...)
		if code, _, errs := runCLI(args...); code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %s", c.args, code, errs)
		}
	}
}
