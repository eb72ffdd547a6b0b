package generatedclient

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/postbacksim/postbacksim/examples/generated-client/sandboxapi"
	"github.com/postbacksim/postbacksim/sandbox"
)

// TestGeneratedClientIsUpToDate: oapi-codegen accepts api/openapi.json
// (its loader validates the document) and generates what is committed.
func TestGeneratedClientIsUpToDate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sandboxapi.gen.go")
	cmd := exec.Command("go", "tool", "oapi-codegen", "-package", "sandboxapi", "-generate", "models,client", "-o", out, "../../api/openapi.json")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen refused api/openapi.json: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("sandboxapi/sandboxapi.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("sandboxapi/sandboxapi.gen.go is out of date: run go generate in examples/generated-client")
	}
}

// TestGeneratedClientDrivesASandbox: the generated client reports a
// conversion and its duplicate, and reads both back from the journal.
func TestGeneratedClientDrivesASandbox(t *testing.T) {
	const token = "generated-client-token"
	srv := httptest.NewServer(sandbox.New(sandbox.Config{AdminToken: token}))
	defer srv.Close()
	bearer := func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
	c, err := sandboxapi.NewClientWithResponses(srv.URL, sandboxapi.WithRequestEditorFn(bearer))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	callback, eventType, idfa, id := "CB-1", "2", "FCD369C3-F622-44B8-AFDE-12065659F34B", "order-1"
	params := &sandboxapi.ActivateGetParams{Callback: &callback, EventType: &eventType, Idfa: &idfa, OuterEventId: &id}
	var codes []int
	for range 2 {
		resp, err := c.ActivateGetWithResponse(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if resp.JSON200 == nil {
			t.Fatalf("activate: %d %s", resp.StatusCode(), resp.Body)
		}
		codes = append(codes, resp.JSON200.Code)
	}
	if codes[0] != 0 || codes[1] == 0 {
		t.Errorf("codes %v: want 0, then the duplicate's", codes)
	}
	journal, err := c.OceanRequestsWithResponse(ctx, &sandboxapi.OceanRequestsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if journal.JSON200 == nil || journal.JSON200.Count != 2 {
		t.Fatalf("journal: %d %s", journal.StatusCode(), journal.Body)
	}
	for i, r := range journal.JSON200.Requests {
		if r.Code == nil || *r.Code != codes[i] || r.Params["outer_event_id"] != id {
			t.Errorf("request %d: code %v, params %v; want code %d", i, r.Code, r.Params, codes[i])
		}
	}
	// Without the token: the documented 401.
	anon, _ := sandboxapi.NewClientWithResponses(srv.URL)
	if resp, err := anon.OceanRequestsWithResponse(ctx, &sandboxapi.OceanRequestsParams{}); err != nil || resp.StatusCode() != http.StatusUnauthorized {
		t.Errorf("without the token: %v %v", resp.StatusCode(), err)
	}
}
