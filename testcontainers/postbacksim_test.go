package postbacksimtc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/postbacksim/postbacksim/sandboxclient"
	postbacksimtc "github.com/postbacksim/postbacksim/testcontainers"
)

// TestMain switches Ryuk, testcontainers' reaper, off unless the
// environment says otherwise: its image comes from Docker Hub, which CI
// cannot reach. Each test terminates its own containers instead.
func TestMain(m *testing.M) {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		if err := os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true"); err != nil {
			fmt.Fprintln(os.Stderr, "setting TESTCONTAINERS_RYUK_DISABLED:", err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// image is the postbacksim image under test, from $POSTBACKSIM_IMAGE.
func image(t *testing.T) string {
	t.Helper()
	img := os.Getenv("POSTBACKSIM_IMAGE")
	if img == "" {
		t.Fatal("POSTBACKSIM_IMAGE is not set: build the image with `make docker IMAGE=postbacksim:dev` " +
			"in the repository's root, then run `POSTBACKSIM_IMAGE=postbacksim:dev TESTCONTAINERS_RYUK_DISABLED=true go test ./...` " +
			"here (a Docker engine must be running)")
	}
	return img
}

// start runs the image with opts on the host's network (our CI's rule
// for containers in tests) and terminates it when the test ends.
func start(t *testing.T, opts ...testcontainers.ContainerCustomizer) *postbacksimtc.Container {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ctr, err := postbacksimtc.Run(ctx, image(t), append([]testcontainers.ContainerCustomizer{postbacksimtc.WithHostNetwork()}, opts...)...)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return ctr
}

// do sends a request and answers the status and body.
func do(t *testing.T, method, url, token, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}

// journal is the part of GET …/_admin/ocean/requests the tests read.
type journal struct {
	Count    int `json:"count"`
	Requests []struct {
		Code   int            `json:"code"`
		Params map[string]any `json:"params"`
	} `json:"requests"`
}

// readJournal reads the Ocean journal under base (a namespace's base URL).
func readJournal(t *testing.T, base, token string) journal {
	t.Helper()
	status, body := do(t, http.MethodGet, base+"/_admin/ocean/requests", token, "", "")
	if status != http.StatusOK {
		t.Fatalf("GET %s/_admin/ocean/requests: %d %s", base, status, body)
	}
	var j journal
	if err := json.Unmarshal([]byte(body), &j); err != nil {
		t.Fatalf("GET %s/_admin/ocean/requests: %v in %s", base, err, body)
	}
	return j
}

// hasCallback reports whether the journal holds an accepted request with this callback.
func (j journal) hasCallback(callback string) bool {
	for _, r := range j.Requests {
		if r.Code == 0 && r.Params["callback"] == callback {
			return true
		}
	}
	return false
}

// convert posts a JSON conversion with this callback to activate and
// checks it is accepted.
func convert(t *testing.T, activate, callback string) {
	t.Helper()
	status, body := do(t, http.MethodPost, activate, "", "application/json",
		`{"callback":"`+callback+`","idfa":"FCD369C3-F622-44B8-AFDE-12065659F34B","event_type":2}`)
	if status != http.StatusOK || !strings.Contains(body, `"code":0`) {
		t.Fatalf("POST %s: %d %s, want 200 and code 0", activate, status, body)
	}
}

func TestConversionIsJournaled(t *testing.T) {
	ctr := start(t)
	ctx := t.Context()
	activate, err := ctr.ActivateURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base, err := ctr.URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := base + "/track/activate/"; activate != want {
		t.Errorf("ActivateURL = %s, want %s", activate, want)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("URL = %s, want http://127.0.0.1:PORT on the host's network", base)
	}
	convert(t, activate, "tc-journal")
	// Without the settings file of TestFlagsAndScenarios, 1001 is no event type.
	if status, body := do(t, http.MethodGet, activate+"?callback=c&idfa=i&event_type=1001", "", "", ""); strings.Contains(body, `"code":0`) {
		t.Errorf("event_type 1001 by default: %d %s, want an error code", status, body)
	}

	// Read back through the typed client, and through plain HTTP.
	client, err := ctr.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.OceanRequests(ctx, sandboxclient.OceanFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range got.Requests {
		found = found || r.Code == 0 && r.Params["callback"] == "tc-journal"
	}
	if !found || got.Count == 0 {
		t.Errorf("Client().OceanRequests does not hold the conversion: %+v", got)
	}
	if j := readJournal(t, base, ""); !j.hasCallback("tc-journal") {
		t.Errorf("the journal does not hold the conversion: %+v", j)
	}

	v2, err := ctr.V2URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status, body := do(t, http.MethodPost, v2, "", "application/json",
		`{"event_type":"active","context":{"ad":{"callback":"tc-v2"}},"timestamp":`+fmt.Sprint(time.Now().UnixMilli())+`}`)
	if status != http.StatusOK || !strings.Contains(body, `"code":0`) {
		t.Errorf("POST %s: %d %s, want 200 and code 0", v2, status, body)
	}
}

func TestAdminTokenAndNamespace(t *testing.T) {
	const token = "tc-admin-token-0123456789"
	ctr := start(t, postbacksimtc.WithAdminToken(token), postbacksimtc.WithNamespace("team-a"), postbacksimtc.WithNamespaces("team-b"))
	ctx := t.Context()
	base, err := ctr.URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := do(t, http.MethodGet, base+"/_admin/ocean/requests", "", "", ""); status != http.StatusUnauthorized {
		t.Errorf("GET /_admin/ocean/requests without the token: %d %s, want 401", status, body)
	}
	if status, body := do(t, http.MethodGet, base+"/_admin/ocean/requests", "wrong-token", "", ""); status != http.StatusUnauthorized && status != http.StatusForbidden {
		t.Errorf("GET /_admin/ocean/requests with a wrong token: %d %s, want 401 or 403", status, body)
	}

	activate, err := ctr.ActivateURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := base + "/ns/team-a/track/activate/"; activate != want {
		t.Errorf("ActivateURL = %s, want %s", activate, want)
	}
	convert(t, activate, "tc-team-a")

	teamA, err := ctr.NamespaceURL(ctx, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if j := readJournal(t, teamA, token); !j.hasCallback("tc-team-a") {
		t.Errorf("team-a's journal does not hold the conversion: %+v", j)
	}
	if j := readJournal(t, base, token); j.Count != 0 {
		t.Errorf("the default namespace's journal holds %d requests, want none: %+v", j.Count, j)
	}
	// WithNamespaces created team-b (with a token, namespaces are not
	// created by traffic); an unknown one is 404.
	status, body := do(t, http.MethodGet, base+"/_admin/namespaces", token, "", "")
	if status != http.StatusOK || !strings.Contains(body, `"team-a"`) || !strings.Contains(body, `"team-b"`) {
		t.Errorf("GET /_admin/namespaces: %d %s, want team-a and team-b", status, body)
	}
	if status, body := do(t, http.MethodGet, base+"/ns/team-c/track/activate/?callback=c&idfa=i&event_type=0", "", "", ""); status != http.StatusNotFound {
		t.Errorf("a conversion to an uncreated namespace: %d %s, want 404", status, body)
	}
}

func TestFlagsAndScenarios(t *testing.T) {
	config := filepath.Join(t.TempDir(), "postbacksim.yaml")
	if err := os.WriteFile(config, []byte("extra-event-types: 1001=trial_start\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctr := start(t,
		postbacksimtc.WithConfigFile(config),
		postbacksimtc.WithStrict(),
		postbacksimtc.WithTimeScale(3600),
		postbacksimtc.WithFlags("--journal-capacity", "10"),
		postbacksimtc.WithScenarioFiles("../scenarios/ocean/device-info-rules.yaml", "../scenarios/ocean/strict-mode.yaml"),
	)
	ctx := t.Context()
	activate, err := ctr.ActivateURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Accepted with a warning by default; strict mode answers 40002.
	if status, body := do(t, http.MethodGet, activate+"?callback=c&os=ios&muid=m&event_type=0", "", "", ""); status != http.StatusOK || !strings.Contains(body, `"code":40002`) {
		t.Errorf("os=ios with WithStrict: %d %s, want code 40002", status, body)
	}

	// The settings file was copied, readable by the image's user, and read.
	if status, body := do(t, http.MethodGet, activate+"?callback=c&idfa=i&event_type=1001", "", "", ""); status != http.StatusOK || !strings.Contains(body, `"code":0`) {
		t.Errorf("event_type 1001 with extra-event-types in the config file: %d %s, want code 0", status, body)
	}

	code, out, err := ctr.RunScenarios(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(out, "device-info") || !strings.Contains(out, "strict mode") {
		t.Errorf("RunScenarios: exit %d, output:\n%s\nwant exit 0 and both scenarios", code, out)
	}
	code, out, err = ctr.RunScenarios(ctx, "--format", "junit", postbacksimtc.ScenarioDir+"/strict-mode.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(out, "<testsuite") || strings.Contains(out, "device-info") {
		t.Errorf("RunScenarios(--format junit, strict-mode.yaml): exit %d, output:\n%s\nwant exit 0 and one JUnit suite", code, out)
	}
}
