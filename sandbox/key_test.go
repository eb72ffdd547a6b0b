package sandbox

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
)

// TestNamespaceCallbackKeys: with a sandbox-wide callback key, each
// namespace signs with a key of its own, so a callback issued for one
// namespace is attributed there and nowhere else.
func TestNamespaceCallbackKeys(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	sb := New(Config{Ocean: mockocean.Config{CallbackKey: key}})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	c := client{t: t, base: hs.URL}

	ref := mockocean.ClickRef{ClickID: 42, AdID: 1, RequestID: "r", Time: time.Unix(1_700_000_000, 0)}
	issued := map[string]string{ // namespace → a callback issued for it
		DefaultNamespace: mockocean.NewIssuer(NamespaceKey(key, DefaultNamespace)).Issue(ref),
		"team-a":         mockocean.NewIssuer(NamespaceKey(key, "team-a")).Issue(ref),
	}
	if !bytes.Equal(NamespaceKey(key, DefaultNamespace), key) || bytes.Equal(NamespaceKey(key, "team-a"), NamespaceKey(key, "team-b")) {
		t.Fatal("the default namespace must keep the key, and other namespaces must differ")
	}
	if NamespaceKey(nil, "team-a") != nil {
		t.Fatal("a nil key must stay nil (each namespace draws its own)")
	}
	prefix := map[string]string{DefaultNamespace: "", "team-a": "/ns/team-a", "team-b": "/ns/team-b"}
	for issuedFor, cb := range issued {
		for ns, p := range prefix {
			c.do("GET", p+"/track/activate/?idfa=i&event_type=0&callback="+url.QueryEscape(cb), "")
			tn, err := sb.Namespace(context.Background(), ns)
			if err != nil {
				t.Fatal(err)
			}
			reqs := testtb.Must(tn.Ocean.Requests(context.Background()))
			a := reqs[len(reqs)-1].Attribution
			if want := ns == issuedFor; a == nil || a.Attributed != want {
				t.Errorf("callback issued for %s, sent to %s: attribution %+v, want attributed=%v", issuedFor, ns, a, want)
			}
		}
	}
}

// TestNamespaceClicksEndToEnd: clicks sent from a namespace's admin
// endpoint carry __CALLBACK_URL__ under that namespace, and following it
// attributes the conversion there.
func TestNamespaceClicksEndToEnd(t *testing.T) {
	sb := New(Config{Ocean: mockocean.Config{CallbackKey: bytes.Repeat([]byte{9}, 32)}})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	c := client{t: t, base: hs.URL}
	var got []string
	monitor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Query().Get("u"))
	}))
	defer monitor.Close()
	body := `{"monitor_url":"` + monitor.URL + `/m?u=__CALLBACK_URL__","count":2}`
	if s, b := c.do("POST", "/ns/team-a/_admin/ocean/clicks", body); s != 200 {
		t.Fatalf("clicks: %d %s", s, b)
	}
	if len(got) != 2 {
		t.Fatalf("monitor got %d clicks", len(got))
	}
	for _, u := range got {
		rest, ok := strings.CutPrefix(u, hs.URL+"/ns/team-a/track/activate/?callback=")
		if !ok {
			t.Fatalf("__CALLBACK_URL__ %s is not under /ns/team-a/", u)
		}
		c.do("GET", "/ns/team-a/track/activate/?idfa=i&event_type=0&callback="+rest, "")
	}
	tn, _ := sb.Namespace(context.Background(), "team-a")
	for _, r := range testtb.Must(tn.Ocean.Requests(context.Background())) {
		if r.Code != 0 || r.Attribution == nil || !r.Attribution.Attributed {
			t.Errorf("conversion %+v not attributed in team-a", r)
		}
	}
}
