package mockimpact_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/store"
)

// downStore is a ConfigStore and a DeliveryStore that cannot be reached.
type downStore struct{}

var errDown = store.Unavailable("test store", errors.New("connection refused"))

func (downStore) SavePostback(context.Context, string, []byte) error { return errDown }
func (downStore) LoadPostback(context.Context, string) ([]byte, bool, error) {
	return nil, false, errDown
}
func (downStore) DeletePostback(context.Context, string) (bool, error)     { return false, errDown }
func (downStore) LoadPostbacks(context.Context) (map[string][]byte, error) { return nil, errDown }
func (downStore) NextID(context.Context) (string, error)                   { return "", errDown }
func (downStore) Add(context.Context, *mockimpact.StoredDelivery) error    { return errDown }
func (downStore) Claim(context.Context, time.Time, int) ([]mockimpact.Claim, time.Time, bool, error) {
	return nil, time.Time{}, false, errDown
}
func (downStore) Renew(context.Context, string, time.Time) (bool, error) { return false, errDown }
func (downStore) Finish(context.Context, *mockimpact.StoredDelivery, *time.Time, int) (bool, error) {
	return false, errDown
}
func (downStore) Load(context.Context, string) (*mockimpact.StoredDelivery, bool, error) {
	return nil, false, errDown
}
func (downStore) All(context.Context) ([]*mockimpact.StoredDelivery, error) { return nil, errDown }
func (downStore) Stats(context.Context) (mockimpact.Stats, error)           { return mockimpact.Stats{}, errDown }
func (downStore) RetryNow(context.Context, string, time.Time) (bool, error) {
	return false, errDown
}
func (downStore) Reset(context.Context) error       { return errDown }
func (downStore) Stop(context.Context) (int, error) { return 0, errDown }
func (downStore) Sharing() mockimpact.Sharing       { return mockimpact.Sharing{} }

// TestAdminAnswers503WhileTheStoreIsDown: every route that needs the
// dispatcher's state answers 503 with Retry-After and the store's error,
// none of them a success, a 404 or a 409.
func TestAdminAnswers503WhileTheStoreIsDown(t *testing.T) {
	vc := clock.NewVirtual(time.Time{})
	script := mockimpact.NewScript()
	d := mockimpact.NewDispatcher(mockimpact.Options{Clock: vc, Transport: script, Resolver: script, Configs: downStore{}, Deliveries: downStore{}})
	defer d.Close()
	h := mockimpact.NewAdmin(d)
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/_admin/impact/postbacks/action_lifecycle", `{"url":"https://brand.example/pb"}`},
		{"GET", "/_admin/impact/postbacks", ""},
		{"DELETE", "/_admin/impact/postbacks/action_lifecycle", ""},
		{"POST", "/_admin/impact/events/action_lifecycle", ""},
		{"GET", "/_admin/impact/deliveries", ""},
		{"GET", "/_admin/impact/deliveries/d000001", ""},
		{"DELETE", "/_admin/impact/deliveries", ""},
		{"POST", "/_admin/impact/deliveries/d000001/retry", ""},
		{"POST", "/_admin/impact/deliveries/d000001/replay", ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(c.method, c.path, strings.NewReader(c.body)))
		var out struct{ Error string }
		err := json.Unmarshal(w.Body.Bytes(), &out)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || err != nil ||
			!strings.Contains(out.Error, "state store unavailable") || !strings.Contains(out.Error, "connection refused") {
			t.Errorf("%s %s: %d, Retry-After %q, %s; want 503 with the store's error", c.method, c.path, w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	if code, _ := call(t, h, "GET", "/_admin/impact/events", ""); code != http.StatusOK {
		t.Errorf("the catalog, which needs no state: %d", code)
	}
}
