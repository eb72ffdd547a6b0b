package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/redistest"
)

func TestServeRefusesToStartWithoutRedis(t *testing.T) {
	rs := redistest.Start(t)
	url := rs.URL()
	rs.Stop() // a port nothing listens on
	code, _, errs := runCLI("serve", "--addr", "127.0.0.1:0", "--store", url)
	if code != exitFail || !strings.Contains(errs, "Redis does not answer, not starting") {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	code, _, errs = runCLI("serve", "--addr", "127.0.0.1:0", "--store", "http://127.0.0.1:6379")
	if code != exitUsage || !strings.Contains(errs, "want redis://") {
		t.Fatalf("a URL that is not redis: exit %d, stderr:\n%s", code, errs)
	}
}

// TestServeOnRedis: a namespace's keys are its own, under the prefix, and
// /readyz follows Redis.
func TestServeOnRedis(t *testing.T) {
	rs := redistest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	t.Setenv("POSTBACKSIM_STORE", rs.URL()) // through the environment
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--store-prefix", "pfx:"}, io.Discard, &stderr)
	}()
	base := loggedURL(t, &stderr, regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`))
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	conv := "/track/activate/?callback=c&idfa=i&event_type=0&outer_event_id=e1"
	for _, p := range []string{conv, "/ns/team-a" + conv} {
		if st, body := get(p); st != 200 || !strings.Contains(body, `"code":0`) {
			t.Fatalf("GET %s: %d %s", p, st, body)
		}
	}
	for _, key := range []string{"pfx:{default}:ocean:journal", "pfx:{team-a}:ocean:journal", "pfx:{team-a}:ocean:dedup"} {
		if n, err := rs.Do("EXISTS", key); err != nil || n != ":1" {
			t.Errorf("EXISTS %s: %q %v", key, n, err)
		}
	}
	if n, err := rs.Do("HEXISTS", "pfx:{_sandbox}:namespaces", "team-a"); err != nil || n != ":1" {
		t.Errorf("HEXISTS pfx:{_sandbox}:namespaces team-a: %q %v; want the namespace traffic created, for the other replicas", n, err)
	}
	if ttl, err := rs.Do("PTTL", "pfx:{team-a}:ocean:journal"); err != nil || !strings.HasPrefix(ttl, ":") || ttl == ":-1" {
		t.Errorf("PTTL of the journal: %q %v; want a TTL", ttl, err)
	}
	if st, body := get("/readyz"); st != 200 {
		t.Fatalf("readyz: %d %s", st, body)
	}
	rs.Stop()
	if st, body := get("/readyz"); st != http.StatusServiceUnavailable || !strings.Contains(body, `"error"`) {
		t.Fatalf("readyz with Redis stopped: %d %s", st, body)
	}
	if st, body := get(conv); st != http.StatusServiceUnavailable || strings.Contains(body, `"code"`) {
		t.Fatalf("activate with Redis stopped: %d %s", st, body)
	}
	rs.Restart()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if st, _ := get("/readyz"); st == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("readyz did not recover within 10s of Redis's restart")
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}
