package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
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
	if strings.Contains(errs, "answered") {
		t.Errorf("a Redis that is not there is said to have answered:\n%s", errs)
	}
	code, _, errs = runCLI("serve", "--addr", "127.0.0.1:0", "--store", "http://127.0.0.1:6379")
	if code != exitUsage || !strings.Contains(errs, "want memory (the default) or redis://") {
		t.Fatalf("a URL that is not redis: exit %d, stderr:\n%s", code, errs)
	}
}

// TestServeStoreValueErrors: a --store value serve cannot use is echoed
// as given (its password hidden), with what is wrong, both valid forms
// (memory too) and the value probably meant; the message names where the
// value came from: the flag, the environment or the config file.
func TestServeStoreValueErrors(t *testing.T) {
	const want = "; want memory (the default) or redis://[USER:PASSWORD@]HOST:PORT/DB (rediss:// for TLS)"
	file := filepath.Join(t.TempDir(), "postbacksim.yaml")
	if err := os.WriteFile(file, []byte("addr: 127.0.0.1:0\nstore: redis://\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		env  string // $POSTBACKSIM_STORE
		want []string
	}{
		{"no host", []string{"--store", "redis://"}, "", []string{`postbacksim serve: --store: "redis://": no host` + want + "\n"}},
		{"no scheme", []string{"--store", "127.0.0.1:18190"}, "", []string{
			`--store: "127.0.0.1:18190": not a URL (no redis://)` + want + "; did you mean redis://127.0.0.1:18190/0?\n"}},
		{"password hidden, unparsed", []string{"--store", "redis://me:s3 cret@127.0.0.1:1/0"}, "", []string{`"redis://me:xxxxx@127.0.0.1:1/0": not a URL`}},
		{"password hidden, parsed", []string{"--store", "redis://me:s3cret@127.0.0.1:1/x"}, "", []string{`"redis://me:xxxxx@127.0.0.1:1/x": invalid database number`}},
		{"memory misspelt", []string{"--store", "memroy"}, "", []string{`--store: "memroy": not a URL` + want + "; did you mean memory?"}},
		{"environment", nil, "redis://", []string{`postbacksim serve: environment POSTBACKSIM_STORE: "redis://": no host` + want}},
		{"config file", []string{"--config", file}, "", []string{"postbacksim serve: config file " + file + `:2: store: "redis://": no host` + want}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("POSTBACKSIM_STORE", c.env)
			code, _, errs := runCLI(append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
			if code != exitUsage {
				t.Errorf("exit %d; want %d (usage)", code, exitUsage)
			}
			for _, w := range c.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr:\n%s\nwant it to hold:\n%s", errs, w)
				}
			}
			if strings.Contains(errs, "s3cret") || strings.Contains(errs, "s3 cret") {
				t.Errorf("stderr shows the password:\n%s", errs)
			}
		})
	}
}

// TestServeEmptyStorePrefix: an empty --store-prefix is a usage error,
// not the default in disguise.
func TestServeEmptyStorePrefix(t *testing.T) {
	code, _, errs := runCLI("serve", "--addr", "127.0.0.1:0", "--store", "redis://127.0.0.1:1/0", "--store-prefix", "")
	if code != exitUsage || !strings.Contains(errs, "--store-prefix: empty") {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
}

// TestServeRedisAnswersWithAnError: a Redis that answers with an error is
// not said not to answer: the message says what it said.
func TestServeRedisAnswersWithAnError(t *testing.T) {
	rs := redistest.Start(t)
	code, _, errs := runCLI("serve", "--addr", "127.0.0.1:0", "--store", "redis://"+rs.Addr()+"/99")
	if code != exitFail || !strings.Contains(errs, `"redis://`+rs.Addr()+`/99": Redis answered with an error, not starting: ERR DB index is out of range`) {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	if strings.Contains(errs, "does not answer") {
		t.Errorf("a Redis that answered is said not to:\n%s", errs)
	}
}

// TestServeRedissOnAPlainRedis: rediss:// to a Redis without TLS never
// finishes the handshake; the message says TLS may be why.
func TestServeRedissOnAPlainRedis(t *testing.T) {
	rs := redistest.Start(t)
	defer func(d time.Duration) { storeStartTimeout = d }(storeStartTimeout)
	storeStartTimeout = 300 * time.Millisecond
	code, _, errs := runCLI("serve", "--addr", "127.0.0.1:0", "--store", "rediss://"+rs.Addr()+"/0")
	if code != exitFail || !strings.Contains(errs, "Redis does not answer within 300ms, not starting") ||
		!strings.Contains(errs, "rediss:// needs a Redis that speaks TLS, redis:// one that does not") {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	// The same Redis stopped, on redis://: no word of TLS.
	rs.Stop()
	code, _, errs = runCLI("serve", "--addr", "127.0.0.1:0", "--store", rs.URL())
	if code != exitFail || strings.Contains(errs, "TLS") {
		t.Fatalf("redis:// to nothing: exit %d, stderr:\n%s", code, errs)
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
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--store-prefix", "pfx:"}, io.Discard, &stderr)
	}()
	base := loggedURL(t, &stderr, regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`))
	// The journals are in Redis: the memory limit still tracks the
	// process (its live heap), under the ceiling.
	if want := "memory_limit=537MiB memory_limit_tracks_the_sandbox=true"; !strings.Contains(stderr.String(), want) {
		t.Errorf("the start line does not say %q:\n%s", want, stderr.String())
	}
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
	// Never an Ocean answer: the code is the HTTP status.
	if st, body := get(conv); st != http.StatusServiceUnavailable || !strings.Contains(body, `"code":503`) {
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
	// The outage is two lines of the sandbox, and the Redis client's own
	// lines say "redis: " once.
	logs := stderr.String()
	if n, m := strings.Count(logs, `level=WARN msg="state store unavailable" error=`), strings.Count(logs, `level=INFO msg="state store available again" down_for=`); n != 1 || m != 1 {
		t.Errorf("the outage logged %d warnings and %d recoveries; want one each:\n%s", n, m, logs)
	}
	if !strings.Contains(logs, `msg="redis: connection pool: failed to dial`) || strings.Contains(logs, "redis: redis:") {
		t.Errorf("the Redis client's lines:\n%s\nwant its failed dials, each with \"redis: \" once", logs)
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
