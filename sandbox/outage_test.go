package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/redistest"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/redisstore"
	"github.com/postbacksim/postbacksim/sandbox"
	"github.com/postbacksim/postbacksim/store"
)

// downStore is a sandbox store that cannot be reached: every call fails
// with an error wrapping store.ErrUnavailable.
type downStore struct{}

var errDown = store.Unavailable("test store", errors.New("connection refused"))

func (downStore) Ocean(string) mockocean.Store                { return downOcean{} }
func (downStore) ImpactConfigs(string) mockimpact.ConfigStore { return downImpact{} }
func (downStore) Registry() store.Registry                    { return downRegistry{} }
func (downStore) Ping(context.Context) error                  { return errDown }
func (downStore) ImpactDeliveries(string, mockimpact.ScheduleOptions) mockimpact.DeliveryStore {
	return downImpact{}
}

type downOcean struct{}

func (downOcean) Open(mockocean.StateConfig) mockocean.State { return downOcean{} }
func (downOcean) Record(_ context.Context, e mockocean.Entry, _ string, _ bool) (mockocean.Entry, bool, bool, error) {
	return e, false, false, errDown
}
func (downOcean) Entries(context.Context) ([]mockocean.Entry, error)       { return nil, errDown }
func (downOcean) Since(context.Context, uint64) ([]mockocean.Entry, error) { return nil, errDown }
func (downOcean) Entry(context.Context, uint64) (mockocean.Entry, bool, error) {
	return mockocean.Entry{}, false, errDown
}
func (downOcean) Newest(context.Context, int, uint64, func(*mockocean.Entry) bool) ([]mockocean.Entry, error) {
	return nil, errDown
}
func (downOcean) Wait(context.Context, int) error    { return errDown }
func (downOcean) Changed() <-chan struct{}           { return make(chan struct{}) }
func (downOcean) ResetJournal(context.Context) error { return errDown }
func (downOcean) JournalStats(context.Context) (mockocean.JournalStats, error) {
	return mockocean.JournalStats{}, errDown
}
func (downOcean) DedupStats(context.Context) (mockocean.DedupStats, error) {
	return mockocean.DedupStats{}, errDown
}
func (downOcean) ResetDedup(context.Context) error { return errDown }
func (downOcean) PickFault(context.Context, string, map[string]string) (mockocean.Fault, bool, error) {
	return mockocean.Fault{}, false, errDown
}
func (downOcean) AddFault(context.Context, mockocean.Fault) (mockocean.Fault, error) {
	return mockocean.Fault{}, errDown
}
func (downOcean) Faults(context.Context) ([]mockocean.Fault, error) { return nil, errDown }
func (downOcean) RemoveFault(context.Context, string) (bool, error) { return false, errDown }
func (downOcean) ClearFaults(context.Context) error                 { return errDown }
func (downOcean) Ping(context.Context) error                        { return errDown }

type downImpact struct{}

func (downImpact) SavePostback(context.Context, string, []byte) error { return errDown }
func (downImpact) LoadPostback(context.Context, string) ([]byte, bool, error) {
	return nil, false, errDown
}
func (downImpact) DeletePostback(context.Context, string) (bool, error)     { return false, errDown }
func (downImpact) LoadPostbacks(context.Context) (map[string][]byte, error) { return nil, errDown }
func (downImpact) NextID(context.Context) (string, error)                   { return "", errDown }
func (downImpact) Add(context.Context, *mockimpact.StoredDelivery) error    { return errDown }
func (downImpact) Claim(context.Context, time.Time, int) ([]mockimpact.Claim, time.Time, bool, error) {
	return nil, time.Time{}, false, errDown
}
func (downImpact) Renew(context.Context, string, time.Time) (bool, error) { return false, errDown }
func (downImpact) Finish(context.Context, *mockimpact.StoredDelivery, *time.Time, int) (bool, error) {
	return false, errDown
}
func (downImpact) Load(context.Context, string) (*mockimpact.StoredDelivery, bool, error) {
	return nil, false, errDown
}
func (downImpact) All(context.Context) ([]*mockimpact.StoredDelivery, error) { return nil, errDown }
func (downImpact) Stats(context.Context) (mockimpact.Stats, error) {
	return mockimpact.Stats{}, errDown
}
func (downImpact) RetryNow(context.Context, string, time.Time) (bool, error) { return false, errDown }
func (downImpact) Reset(context.Context) error                               { return errDown }
func (downImpact) Stop(context.Context) (int, error)                         { return 0, errDown }
func (downImpact) Sharing() mockimpact.Sharing                               { return mockimpact.Sharing{} }

type downRegistry struct{}

func (downRegistry) CreateNamespace(context.Context, string, store.Namespace, int) error {
	return errDown
}
func (downRegistry) Namespace(context.Context, string) (store.Namespace, bool, error) {
	return store.Namespace{}, false, errDown
}
func (downRegistry) Namespaces(context.Context) (map[string]store.Namespace, error) {
	return nil, errDown
}
func (downRegistry) NamespaceUses(context.Context) (map[string]int64, error) { return nil, errDown }
func (downRegistry) TouchNamespace(context.Context, string, int64) error     { return errDown }
func (downRegistry) RemoveNamespace(context.Context, string, int64) (bool, error) {
	return false, errDown
}
func (downRegistry) Heartbeat(context.Context, string, string, time.Time) (string, error) {
	return "", errDown
}
func (downRegistry) Leave(context.Context, string, string) error { return errDown }
func (downRegistry) KeepEpoch(context.Context, string) (string, bool, error) {
	return "", false, errDown
}
func (downRegistry) Epoch(context.Context) (string, error) { return "", errDown }
func (downRegistry) KeepHopMarker(context.Context, string) (string, error) {
	return "", errDown
}
func (downRegistry) Where(string) string { return "" }

// statelessRoutes need no state: they answer while the store is down.
var statelessRoutes = map[string]bool{
	"GET /_admin/ocean/catalog":        true,
	"GET /_admin/ocean/monitor-macros": true,
	"GET /_admin/impact/events":        true,
	// The clicks a replica sent are its own, in memory (docs/sandbox.md).
	"GET /_admin/ocean/clicks":  true,
	"POST /_admin/ocean/clicks": true,
}

// outageBodies are valid bodies, so that a route gets as far as the store.
var outageBodies = map[string]string{
	"PUT /_admin/impact/postbacks/{event}": `{"url":"https://brand.example/pb?aid={ActionId}"}`,
	"POST /_admin/ocean/faults":            `{"status":503}`,
	"POST /_admin/namespaces":              `{"name":"team-b"}`,
}

// fill gives a route template's variables values that pass the routes'
// own checks.
func fill(path string) string {
	return strings.NewReplacer("{event}", "action_lifecycle", "{id}", "d000001", "{name}", "team-a", "{seq}", "1").Replace(path)
}

// TestEveryRouteAnswers503WhileTheStoreIsDown walks every route of the
// sandbox's routers, in the default namespace and under /ns/NAME/, with
// the store failing (a store that fails every call, and a real Redis
// stopped): each route that needs state answers 503 with Retry-After and
// a JSON error naming the store (the pages, HTML saying so), and none
// answers a success, a 404 or a 409 for work it could not do.
func TestEveryRouteAnswers503WhileTheStoreIsDown(t *testing.T) {
	rs := redistest.Start(t)
	stopped, err := redisstore.Open(redisstore.Options{URL: rs.URL(), Prefix: "outage:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stopped.Close() })
	for _, c := range []struct {
		name  string
		store sandbox.Store
		down  func()
	}{
		{"failing store", downStore{}, func() {}},
		{"redis stopped", stopped, rs.Stop},
	} {
		t.Run(c.name, func(t *testing.T) {
			sb := sandbox.New(sandbox.Config{Store: c.store, SummaryEvery: -1})
			hs := httptest.NewServer(sb)
			defer func() { hs.Close(); sb.Close() }()
			c.down()
			routes := append(sb.AdminRoutes(), []sandbox.Route{
				{Method: "GET", Path: mockocean.ActivatePath + "?callback=c&idfa=i&event_type=0"},
				{Method: "POST", Path: mockocean.ActivatePath},
				{Method: "GET", Path: "/_admin/stream"},
				{Method: "GET", Path: "/readyz"},
			}...)
			var seen int
			for _, prefix := range []string{"", "/ns/team-a"} {
				for _, r := range routes {
					key := r.Method + " " + r.Path
					if prefix != "" && strings.HasPrefix(r.Path, sandbox.NamespacesPath) {
						continue // the sandbox's own, not a namespace's
					}
					seen++
					url := hs.URL + prefix + fill(r.Path)
					req, _ := http.NewRequest(r.Method, url, strings.NewReader(outageBodies[key]))
					req.Header.Set("Content-Type", "application/json")
					resp, err := hs.Client().Do(req)
					if err != nil {
						t.Fatalf("%s %s: %v", r.Method, url, err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if statelessRoutes[key] && prefix == "" {
						if resp.StatusCode == http.StatusServiceUnavailable {
							t.Errorf("%s: 503, but it needs no state", key)
						}
						continue
					}
					var out struct{ Error string }
					if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
						json.Unmarshal(b, &out) != nil || !strings.Contains(out.Error, "state store unavailable") {
						t.Errorf("%s %s%s: %d, Retry-After %q, %.200s; want 503 with the store's error",
							r.Method, prefix, fill(r.Path), resp.StatusCode, resp.Header.Get("Retry-After"), b)
					}
				}
			}
			if seen < 30 {
				t.Fatalf("walked %d routes; the routers' walk found too few", seen)
			}
			// The pages and their forms: HTML saying so.
			type call struct{ method, path, form string }
			var calls []call
			for _, prefix := range []string{"", "/ns/team-a"} {
				for _, page := range []string{"/", "/ocean", "/ocean/1", "/impact", "/deliveries/d000001"} {
					calls = append(calls, call{"GET", prefix + page, ""})
				}
			}
			calls = append(calls, []call{
				{"POST", "/_admin/inspector/faults", "status=503"},
				{"POST", "/_admin/inspector/faults/remove", "id=f1"},
				{"POST", "/_admin/inspector/postbacks", "event=action_lifecycle&url=https%3A%2F%2Fbrand.example%2Fpb&method=GET&format=none"},
				{"POST", "/_admin/inspector/fire", "event=action_lifecycle"},
				{"POST", "/_admin/inspector/deliveries/d000001/retry", ""},
				{"POST", "/_admin/inspector/deliveries/d000001/replay", ""},
			}...)
			noRedirect := *hs.Client()
			noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			for _, c := range calls {
				req, _ := http.NewRequest(c.method, hs.URL+c.path, strings.NewReader(c.form))
				req.Header.Set("Accept", "text/html")
				if c.form != "" || c.method == "POST" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "store cannot be read") {
					t.Errorf("%s %s (a browser): %d %.200s; want 503 and the page saying the store cannot be read", c.method, c.path, resp.StatusCode, b)
				}
			}
		})
	}
}
