// Package inspector serves the sandbox's web pages: an overview, the
// Ocean request journal, the impact postbacks and deliveries with their
// attempt timelines, and the Server-Sent Events stream (/_admin/stream)
// the pages and programs follow live. Package sandbox mounts it in every
// namespace; it holds nothing of its own but a numbered feed of impact
// attempts.
package inspector

import (
	"embed"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Tenant is what the inspector shows of one namespace.
type Tenant struct {
	// Name is the namespace; Base the path prefix of its pages ("" for
	// the default namespace, "/ns/NAME" for the others).
	Name, Base string
	Ocean      *mockocean.Server
	Impact     *mockimpact.Dispatcher
	// Feed numbers the namespace's impact attempts for the stream.
	Feed *Feed
	// ImpactAdmin serves /_admin/impact/ (events are fired through it,
	// as a program would).
	ImpactAdmin http.Handler

	hub *hub
	// oceanSeen is the Ocean journal's count at the last read that
	// succeeded: the stream's cursor while the store does not answer.
	oceanSeen atomic.Uint64
}

// Options configures an Inspector.
type Options struct {
	// TokenAccepted reports whether token opens the namespace. When it
	// refuses the empty token, the pages show only a login form to a
	// browser without an accepted token in its cookie.
	TokenAccepted func(namespace, token string) bool
	// CSRFToken derives the value state-changing forms carry from the
	// token.
	CSRFToken func(token string) string
	// CookieName, CSRFField name the login cookie and the forms' field.
	CookieName, CSRFField string
	// Clock drives the stream's keep-alive comments; nil means the real
	// clock.
	Clock clock.Clock
	// KeepAlive overrides the keep-alive period (0: KeepAlive).
	KeepAlive time.Duration
	// BatchDelay overrides how long the stream gathers events before
	// sending them (0: BatchDelay; negative: no delay).
	BatchDelay time.Duration
	// TimeScale is how much faster than the wall clock the impact clock
	// runs (serve --time-scale); above 1, the impact pages say their
	// times are on that clock.
	TimeScale float64
}

// Inspector serves the pages and the stream.
type Inspector struct {
	opts       Options
	clock      clock.Clock
	keepAlive  time.Duration
	batchDelay time.Duration
	tmpl       map[string]*template.Template
	assets     http.Handler
	flashes    flashes // the forms' outcomes, by code (flash.go)
}

// New returns an Inspector.
func New(o Options) *Inspector {
	in := &Inspector{opts: o, clock: o.Clock, keepAlive: o.KeepAlive}
	if in.clock == nil {
		in.clock = clock.Real{}
	}
	if in.keepAlive <= 0 {
		in.keepAlive = KeepAlive
	}
	switch in.batchDelay = o.BatchDelay; {
	case in.batchDelay == 0:
		in.batchDelay = BatchDelay
	case in.batchDelay < 0:
		in.batchDelay = 0
	}
	if in.opts.TokenAccepted == nil {
		in.opts.TokenAccepted = func(string, string) bool { return true }
	}
	if in.opts.CSRFToken == nil {
		in.opts.CSRFToken = func(string) string { return "" }
	}
	if in.opts.CookieName == "" {
		in.opts.CookieName = "postbacksim_token"
	}
	if in.opts.CSRFField == "" {
		in.opts.CSRFField = "csrf"
	}
	in.tmpl = map[string]*template.Template{}
	for _, page := range []string{"overview", "ocean", "request", "impact", "delivery", "login"} {
		in.tmpl[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html"))
	}
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	in.assets = http.StripPrefix("/assets/", http.FileServerFS(sub))
	return in
}

// Mount registers the namespace's pages, actions and stream on mux (the
// namespace's own mux, whose paths have the /ns/NAME prefix stripped):
//
//	GET  /, /ocean, /ocean/{seq}, /impact, /deliveries/{id}   pages
//	GET  /assets/…                                            style and script
//	POST /login, /logout                                      the token cookie
//	GET  /_admin/stream                                       Server-Sent Events
//	POST /_admin/inspector/…                                  the pages' forms
func (in *Inspector) Mount(mux *http.ServeMux, t *Tenant) {
	t.hub = newHub(in, t)
	page := func(f func(*Tenant, http.ResponseWriter, *http.Request, *view)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if wantsJSON(r) {
				httpjson.NotFound(w, r)
				return
			}
			v, ok := in.authorize(t, w, r)
			if !ok {
				return
			}
			if err := t.Ocean.Ready(r.Context()); err != nil {
				// Empty tables would read as "nothing happened".
				storeDown(w, err)
				return
			}
			f(t, w, r, v)
		}
	}
	mux.HandleFunc("GET /{$}", page(in.overview))
	mux.HandleFunc("GET /ocean", page(in.oceanPage))
	mux.HandleFunc("GET /ocean/{seq}", page(in.requestPage))
	mux.HandleFunc("GET /impact", page(in.impactPage))
	mux.HandleFunc("GET /deliveries/{id}", page(in.deliveryPage))
	mux.Handle("GET /assets/", in.assets)
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) { in.login(t, w, r) })
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) { in.logout(t, w, r) })
	mux.HandleFunc("GET /_admin/stream", func(w http.ResponseWriter, r *http.Request) { in.serveStream(t, w, r) })
	mux.HandleFunc("POST /_admin/inspector/faults", func(w http.ResponseWriter, r *http.Request) { in.addFault(t, w, r) })
	mux.HandleFunc("POST /_admin/inspector/faults/remove", func(w http.ResponseWriter, r *http.Request) { in.removeFault(t, w, r) })
	mux.HandleFunc("POST /_admin/inspector/postbacks", func(w http.ResponseWriter, r *http.Request) { in.savePostback(t, w, r) })
	mux.HandleFunc("POST /_admin/inspector/fire", func(w http.ResponseWriter, r *http.Request) { in.fire(t, w, r) })
	mux.HandleFunc("POST /_admin/inspector/deliveries/{id}/retry", func(w http.ResponseWriter, r *http.Request) { in.retryNow(t, w, r) })
	mux.HandleFunc("POST /_admin/inspector/deliveries/{id}/replay", func(w http.ResponseWriter, r *http.Request) { in.replay(t, w, r) })
}

// wantsJSON reports whether r asks for JSON rather than a page: API
// clients keep getting the JSON 404 for paths they do not know.
func wantsJSON(r *http.Request) bool {
	a := r.Header.Get("Accept")
	return strings.Contains(a, "application/json") && !strings.Contains(a, "text/html")
}

// view is what every page's layout needs.
type view struct {
	Tenant  *Tenant
	Title   string
	Nav     string
	CSRF    string
	Auth    bool // a token is in use: show the logout button
	Since   string
	Flash   string
	Error   string
	Now     time.Time
	Content any
	// Scale is Options.TimeScale.
	Scale float64
}

// authorize checks the cookie when a token is required and answers with
// the login form when it is missing or refused.
func (in *Inspector) authorize(t *Tenant, w http.ResponseWriter, r *http.Request) (*view, bool) {
	f := in.flashes.get(r.URL.Query().Get("flash"))
	v := &view{Tenant: t, Now: t.Impact.Clock().Now(), Flash: f.msg, Error: f.err, Scale: in.opts.TimeScale}
	if in.opts.TokenAccepted(t.Name, "") {
		v.CSRF = in.opts.CSRFToken("")
		return v, true
	}
	c, err := r.Cookie(in.opts.CookieName)
	if err != nil || c.Value == "" || !in.opts.TokenAccepted(t.Name, c.Value) {
		v.Title, v.Flash = "Log in", ""
		if err == nil && c.Value != "" {
			v.Error = "The token in your cookie does not open this namespace."
		}
		in.render(w, http.StatusUnauthorized, "login", v)
		return nil, false
	}
	v.CSRF, v.Auth = in.opts.CSRFToken(c.Value), true
	return v, true
}

func (in *Inspector) login(t *Tenant, w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" || !in.opts.TokenAccepted(t.Name, token) {
		in.render(w, http.StatusUnauthorized, "login", &view{Tenant: t, Title: "Log in", Error: "That token does not open this namespace."})
		return
	}
	// The cookie belongs to this namespace's paths (/ for the default
	// one), so logins to several namespaces live side by side: a browser
	// sends the cookie of the longest path first.
	http.SetCookie(w, &http.Cookie{Name: in.opts.CookieName, Value: token, Path: t.Base + "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, t.Base+"/", http.StatusSeeOther)
}

func (in *Inspector) logout(t *Tenant, w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: in.opts.CookieName, Value: "", Path: t.Base + "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, t.Base+"/", http.StatusSeeOther)
}

func (in *Inspector) render(w http.ResponseWriter, status int, page string, v *view) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "same-origin")
	if v.Since == "" && v.Tenant != nil {
		v.Since = v.Tenant.now().String()
	}
	w.WriteHeader(status)
	_ = in.tmpl[page].Execute(w, v)
}

// WantsPage reports whether r comes from a browser that expects a page
// (it accepts text/html): the sandbox answers such a request's refusal
// with a page, an API client's with JSON.
func WantsPage(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// WriteRefusal answers a browser with a short page: status, a heading
// and what to do. back, when set, is the page to go back to.
func WriteRefusal(w http.ResponseWriter, status int, heading, detail, back string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	link := ""
	if back != "" {
		link = fmt.Sprintf(`<p><a href="%s">Back to the page</a></p>`, html.EscapeString(back))
	}
	fmt.Fprintf(w, "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>postbacksim: %s</title><h1>%s</h1><p>%s</p>%s</html>\n",
		html.EscapeString(heading), html.EscapeString(heading), html.EscapeString(detail), link)
}

// StoreDown answers a page request while the state store cannot be
// read: 503 and an HTML page saying so, instead of tables that look
// empty. The sandbox uses it for the pages of a namespace it cannot look
// up.
func StoreDown(w http.ResponseWriter, err error) { storeDown(w, err) }

// IsPage reports whether r asks for one of the pages (a browser's GET
// of a path outside the admin API and the emulators' endpoints), which
// answer errors as HTML. path is r's path within its namespace.
func IsPage(r *http.Request, path string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	for _, p := range []string{"/_admin/", "/track/", "/impact/", "/assets/"} {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	return WantsPage(r)
}

// storeDown answers a page while the state store cannot be read: 503,
// saying so, instead of tables that look empty.
func storeDown(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>postbacksim: store unavailable</title>"+
		"<h1>The sandbox's store cannot be read</h1><p>%s</p><p>The journals are kept there; this page comes back when it answers.</p></html>\n",
		html.EscapeString(err.Error()))
}
