package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/netns"
)

// TestWildcardListenerStopsSelfLoops replays the self-loop reproduction
// against the built binary, in a network namespace with loopback only:
// serve --addr 0.0.0.0:P --allow-targets 127.0.0.0/8, and a namespace's
// postback, its token in the headers, that fires its own event again at
// 127.0.0.2:P, 127.1.2.3:P, [::ffff:127.0.0.2]:P (the target policy's
// refusal), or through a port forwarded to P, as Docker publishes one
// (the hop marker's). Each event makes one delivery, blocked_target,
// reason self, and none follows.
func TestWildcardListenerStopsSelfLoops(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it in a network namespace: skipped with -short (make test runs it)")
	}
	bin := os.Getenv("POSTBACKSIM_TEST_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "postbacksim")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	if !netns.Inside(t, "POSTBACKSIM_TEST_BIN="+bin) {
		return
	}
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	const admin, tok = "admin-token-0123456789", "team-a-token-0123456789"
	cmd := exec.Command(bin, "serve", "--addr", fmt.Sprintf("0.0.0.0:%d", port), "--allow-targets", "127.0.0.0/8", "--admin-token", admin)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	do := func(method, path, token, body string) (int, string) {
		t.Helper()
		return httpDoAs(t, method, base+path, token, body)
	}
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) { // real time: the process starts
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("serve did not answer /healthz")
		}
	}
	if s, b := do("POST", "/_admin/namespaces", admin, `{"name":"team-a","token":"`+tok+`"}`); s != 201 {
		t.Fatalf("creating the namespace: %d %s", s, b)
	}
	forwarded := forward(t, port)

	deliveries := func() []map[string]any {
		t.Helper()
		s, b := do("GET", "/ns/team-a/_admin/impact/deliveries", tok, "")
		var out struct{ Deliveries []map[string]any }
		if s != 200 || json.Unmarshal([]byte(b), &out) != nil {
			t.Fatalf("deliveries: %d %s", s, b)
		}
		return out.Deliveries
	}
	for i, host := range []string{
		fmt.Sprintf("127.0.0.2:%d", port), fmt.Sprintf("127.1.2.3:%d", port),
		fmt.Sprintf("[::ffff:127.0.0.2]:%d", port), forwarded,
	} {
		loop := fmt.Sprintf(`{"url":"http://%s/ns/team-a/_admin/impact/events/action_lifecycle","method":"POST","headers":{"Authorization":"Bearer %s"}}`, host, tok)
		if s, b := do("PUT", "/ns/team-a/_admin/impact/postbacks/action_lifecycle", tok, loop); s != 200 {
			t.Fatalf("%s: configure: %d %s", host, s, b)
		}
		if s, b := do("POST", "/ns/team-a/_admin/impact/events/action_lifecycle", tok, ""); s >= 300 {
			t.Fatalf("%s: fire: %d %s", host, s, b)
		}
		time.Sleep(time.Second) // real time: a loop makes thousands of deliveries in it
		ds := deliveries()
		if len(ds) != i+1 {
			t.Fatalf("%s: %d deliveries after %d events: the loop was not stopped", host, len(ds), i+1)
		}
		d := ds[len(ds)-1]
		atts, _ := d["attempts"].([]any)
		if d["outcome"] != "blocked_target" || len(atts) != 1 || !strings.Contains(fmt.Sprint(atts[0]), "self") {
			t.Errorf("%s: delivery %v, attempts %v; want blocked_target with one attempt, reason self", host, d["outcome"], atts)
		}
	}
}

// forward relays connections to 127.0.0.1:port from a port of its own,
// as a published Docker port does, and returns its address.
func forward(t *testing.T, port int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				in.Close()
				continue
			}
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	return ln.Addr().String()
}
