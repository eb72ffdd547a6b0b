// Package bench measures what users run: the shipped binary, started with
// default flags, against a bare net/http server in a process of its own,
// loaded by the same Go load generator in the same run.
//
//	go test ./bench -run '^$' -bench ShippedBinary -benchtime 5x
package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/loadgen"
)

// build compiles the package at pkg (relative to the repository root)
// into dir, as `make build` does, and returns the binary's path.
func build(tb testing.TB, dir, pkg string) string {
	tb.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "../"+pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

var urlRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// start runs bin with args and returns the first http://127.0.0.1:PORT
// it prints (on stdout or stderr); the process is killed when the
// benchmark ends. What it prints afterwards is drained, as a terminal or
// a container runtime would.
func start(tb testing.TB, bin string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		tb.Fatalf("%s: %v", bin, err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u := urlRE.FindString(sc.Text()); u != "" {
				found <- u
				break
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(30 * time.Second): // real time: a guard against a server that never starts
		tb.Fatalf("%s printed no listening URL in 30 s", bin)
		return ""
	}
}

// ids makes outer_event_ids unique across rounds and sub-benchmarks: the
// server remembers them, and a repeated one would answer 40004.
var ids atomic.Int64

// BenchmarkShippedBinary loads `postbacksim serve` (default flags, on a
// free loopback port) and the bare server alternately, b.N rounds of
// 20,000 requests from 50 clients each, for GET, form POST, JSON POST and
// a namespace path; it reports both servers' requests/s, p50 and p99 and
// the ratios.
func BenchmarkShippedBinary(b *testing.B) {
	dir := b.TempDir()
	sim := start(b, build(b, dir, "cmd/postbacksim"), "serve", "--addr", "127.0.0.1:0")
	bare := start(b, build(b, dir, "bench/bare"), "--addr", "127.0.0.1:0")
	const requests = 20_000
	query := func(id int64) url.Values {
		return url.Values{
			"callback": {fmt.Sprintf("cb%d", id)}, "idfa": {fmt.Sprintf("FCD369C3-F622-44B8-AFDE-%012d", id)},
			"event_type": {"2"}, "outer_event_id": {fmt.Sprintf("e%d", id)},
		}
	}
	cases := []struct {
		name string
		load loadgen.Config
		path func(round, i int) string
	}{
		{"GET", loadgen.Config{}, func(int, int) string { return "/track/activate/?" + query(ids.Add(1)).Encode() }},
		{"form-POST", loadgen.Config{Method: "POST", ContentType: "application/x-www-form-urlencoded",
			Body: func(int) []byte { return []byte(query(ids.Add(1)).Encode()) }}, func(int, int) string { return "/track/activate/" }},
		{"JSON-POST", loadgen.Config{Method: "POST", ContentType: "application/json", Body: func(int) []byte {
			id := ids.Add(1)
			return fmt.Appendf(nil, `{"callback":"cb%d","idfa":"FCD369C3-F622-44B8-AFDE-%012d","event_type":2,"outer_event_id":"e%d"}`, id, id, id)
		}}, func(int, int) string { return "/track/activate/" }},
		{"namespace-GET", loadgen.Config{}, func(int, int) string { return "/ns/team-a/track/activate/?" + query(ids.Add(1)).Encode() }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			load := c.load
			load.Clients, load.Requests = 50, requests
			var codes [2]atomic.Int64 // success, other
			load.Check = func(body []byte) {
				if strings.Contains(string(body), `"code":0,`) {
					codes[0].Add(1)
				} else {
					codes[1].Add(1)
				}
			}
			cmp, err := loadgen.CompareServers(context.Background(), bare, sim, b.N, load, c.path)
			if err != nil {
				b.Fatal(err)
			}
			if codes[1].Load() > 0 {
				b.Fatalf("%d answers were not code 0 (of %d)", codes[1].Load(), codes[0].Load()+codes[1].Load())
			}
			cmp.Report(b, "postbacksim")
		})
	}
}
