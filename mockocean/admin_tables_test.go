package mockocean_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/mockocean"
)

// asJSON is v as generic JSON, for comparing an endpoint's answer with
// the value it should encode.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAdminServesTheTables: the catalog and macro endpoints answer with
// exactly what the table accessors return.
func TestAdminServesTheTables(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	for path, want := range map[string]any{
		"/catalog":        map[string]any{"catalog": mockocean.Catalog(), "event_types": mockocean.EventTypes(), "params": mockocean.Params()},
		"/monitor-macros": map[string]any{"macros": mockocean.MonitorMacros()},
	} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", mockocean.AdminPrefix+path, nil))
		var got any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil {
			t.Fatalf("GET %s: %d %v", path, rec.Code, err)
		}
		if diff := cmp.Diff(asJSON(t, want), got); diff != "" {
			t.Errorf("GET %s differs from the tables (-want +got):\n%s", path, diff)
		}
	}
}
