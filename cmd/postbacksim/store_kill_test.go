package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/redistest"
)

// replicaProcess starts the built binary as one replica on rs and returns
// its base URL.
func replicaProcess(t *testing.T, bin string, rs *redistest.Server, replica string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--store", rs.URL(), "--store-prefix", "kill:",
		"--replica-id", replica, "--store-lease", "1s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urlRE := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case u := <-found:
		return cmd, u
	case <-time.After(10 * time.Second): // real time: a guard against a hang
		t.Fatalf("replica %s did not log its URL", replica)
		return nil, ""
	}
}

func httpDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	return httpDoAs(t, method, url, "", body)
}

// httpDoAs is httpDo with "Authorization: Bearer token" (none when empty).
func httpDoAs(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReplicaKilledLosesNoDelivery: replica A, killed with SIGKILL while
// an attempt is in flight and with two more pending, loses none: replica
// B, started after, sends them all once the lease ends, and journals
// each as its own.
func TestReplicaKilledLosesNoDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real redis-server and two processes: skipped with -short (make test runs it)")
	}
	bin := filepath.Join(t.TempDir(), "postbacksim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rs := redistest.Start(t)

	var mu sync.Mutex
	hits := map[string]int{}
	inFlight := make(chan struct{})
	var once sync.Once
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.RequestURI()]++
		first := len(hits) == 1 && hits[r.URL.RequestURI()] == 1
		mu.Unlock()
		if first { // A's attempt: never answered, A dies meanwhile
			once.Do(func() { close(inFlight) })
			<-r.Context().Done()
			return
		}
		_, _ = w.Write([]byte("OK"))
	}))
	defer receiver.Close()

	a, urlA := replicaProcess(t, bin, rs, "A")
	cfg := func(delay string) string {
		return `{"url":"` + receiver.URL + `/pb?id={ActionId}","method":"GET","format":"none","success":"OK","timeout":"20s","min_delay":"` + delay + `"}`
	}
	if code, body := httpDo(t, "PUT", urlA+"/_admin/impact/postbacks/action_lifecycle", cfg("3s")); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	for _, seed := range []string{"1", "2"} {
		if code, body := httpDo(t, "POST", urlA+"/_admin/impact/events/action_lifecycle?seed="+seed, ""); code != 202 {
			t.Fatalf("fire: %d %s", code, body)
		}
	}
	if code, body := httpDo(t, "PUT", urlA+"/_admin/impact/postbacks/action_lifecycle", cfg("0s")); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, body := httpDo(t, "POST", urlA+"/_admin/impact/events/action_lifecycle?seed=3", ""); code != 202 {
		t.Fatalf("fire: %d %s", code, body)
	}
	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("A did not send the delivery due at once")
	}
	if err := a.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = a.Wait()

	_, urlB := replicaProcess(t, bin, rs, "B")
	var list struct {
		Count      int
		Stats      struct{ Pending int }
		Deliveries []struct {
			ID       string
			Outcome  string
			Attempts []struct {
				Replica   string
				Scheduled time.Time
				Actual    time.Time
			}
		}
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, body := httpDo(t, "GET", urlB+"/_admin/impact/deliveries", "")
		if code != 200 {
			t.Fatalf("deliveries on B: %d %s", code, body)
		}
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatal(err)
		}
		if list.Count == 3 && list.Stats.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B did not finish A's deliveries: %s", body)
		}
	}
	// Nothing pending: no attempt is due or claimed (an attempt leaves
	// the schedule only as it is journaled), and A is gone, so nothing
	// more can be sent.
	for _, dl := range list.Deliveries {
		if dl.Outcome != "delivered" || len(dl.Attempts) != 1 || dl.Attempts[0].Replica != "B" {
			t.Errorf("delivery %s: %s, %+v; want delivered in one attempt by B", dl.ID, dl.Outcome, dl.Attempts)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for u, n := range hits {
		total += n
		if n > 2 {
			t.Errorf("%s received %d times", u, n)
		}
	}
	// Three deliveries, plus the attempt that was in flight when A died,
	// sent again by B (the documented limit of exactly once).
	if len(hits) != 3 || total != 4 {
		t.Errorf("receiver got %v; want 3 requests once and the one in flight at the kill twice", hits)
	}
}
