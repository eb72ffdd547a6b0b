package sandbox

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postbacksim/postbacksim/inspector"
	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/store"
)

// NamespacesPath is the sandbox's admin endpoint for namespaces: GET
// lists them, POST creates one; NamespacesPath/NAME reads or deletes
// one. It needs the admin token when one is set.
const NamespacesPath = "/_admin/namespaces"

// DefaultNamespaceTTL is how long an idle namespace is kept when serve
// is given no --namespace-ttl.
const DefaultNamespaceTTL = 7 * 24 * time.Hour

// Namespace token rule: long enough not to be guessed, printable so it
// fits a header and a cookie.
const (
	minTokenLen = 16
	maxTokenLen = 256
)

// Errors of the namespace operations, for errors.Is.
var (
	ErrNamespaceExists   = store.ErrNamespaceExists
	ErrNamespaceNotFound = errors.New("no such namespace")
	ErrNamespaceLimit    = store.ErrNamespaceLimit
)

// NamespaceInfo describes a namespace in the listings: never its token.
type NamespaceInfo struct {
	Name string `json:"name"`
	// TokenSet says whether the namespace has a token of its own.
	TokenSet bool `json:"token_set"`
	// AppSecretSet says whether the namespace has a v2 app secret of its
	// own (never the secret).
	AppSecretSet bool      `json:"app_secret_set,omitempty"`
	Created      time.Time `json:"created"`
	LastUsed     time.Time `json:"last_used"`
	// Expires is when the namespace goes if it stays idle; absent when
	// namespaces do not expire, and for the default namespace.
	Expires *time.Time `json:"expires,omitempty"`
}

// NamespaceSpec is a namespace to create: the body of POST
// /_admin/namespaces.
type NamespaceSpec struct {
	// Name is the namespace's name (CheckNamespace).
	Name string `json:"name"`
	// Token, when set, opens the namespace's admin endpoints besides the
	// admin token (16–256 printable characters).
	Token string `json:"token"`
	// AppSecret, when set, makes the namespace's v2 conversion API check
	// x-signature with it, instead of the sandbox's secret (serve
	// --ocean-app-secret); it is never listed.
	AppSecret string `json:"app_secret"`
}

// checkNamespaceToken says what is wrong with a namespace token, if
// anything: empty is allowed (the admin token then opens the namespace).
func checkNamespaceToken(tok string) error {
	if tok == "" {
		return nil
	}
	if len(tok) < minTokenLen || len(tok) > maxTokenLen {
		return fmt.Errorf("want %d–%d characters, got %d", minTokenLen, maxTokenLen, len(tok))
	}
	for _, c := range []byte(tok) {
		if c <= ' ' || c >= 0x7f || c == ';' || c == ',' || c == '"' || c == '\\' {
			return fmt.Errorf("want printable ASCII without spaces, quotes, backslashes, commas or semicolons (it goes in a header and a cookie)")
		}
	}
	return nil
}

// checkAppSecret says what is wrong with a namespace's v2 app secret, if
// anything: empty is allowed (the sandbox's applies).
func checkAppSecret(secret string) error {
	if len(secret) > maxTokenLen {
		return fmt.Errorf("want at most %d characters, got %d", maxTokenLen, len(secret))
	}
	for _, c := range secret {
		if c < ' ' || c == 0x7f {
			return fmt.Errorf("want printable characters: it is appended to the body before hashing")
		}
	}
	return nil
}

// tokenEqual compares two tokens in constant time, whatever their
// lengths: the hashes are compared.
func tokenEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// openNamespaces reports whether traffic to an unknown namespace
// creates it: Config.OpenNamespaces, or by default only without an
// admin token.
func (sb *Sandbox) openNamespaces() bool {
	if sb.cfg.OpenNamespaces != nil {
		return *sb.cfg.OpenNamespaces
	}
	return sb.cfg.AdminToken == ""
}

// lookup returns the named namespace, or nil; it does not create one.
// With a Redis store it asks Redis (see resolve); when Redis does not
// answer, it returns what this replica knows.
func (sb *Sandbox) lookup(name string) *Tenant {
	t, err := sb.resolve(name)
	if err != nil {
		return sb.tenantMap()[name]
	}
	return t
}

// CreateNamespace creates the named namespace, opened by token (and the
// admin token); an empty token leaves it to the admin token. It fails
// with ErrNamespaceExists, ErrNamespaceLimit, or a rule the name or
// token breaks, or the store's error (wrapping store.ErrUnavailable).
func (sb *Sandbox) CreateNamespace(ctx context.Context, name, token string) (*Tenant, error) {
	return sb.CreateNamespaceWith(ctx, NamespaceSpec{Name: name, Token: token})
}

// CreateNamespaceWith creates the namespace spec describes, as
// CreateNamespace does, with its own v2 app secret when spec has one.
func (sb *Sandbox) CreateNamespaceWith(ctx context.Context, spec NamespaceSpec) (*Tenant, error) {
	name, token := spec.Name, spec.Token
	if err := CheckNamespace(name); err != nil {
		return nil, err
	}
	if err := checkNamespaceToken(token); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	if err := checkAppSecret(spec.AppSecret); err != nil {
		return nil, fmt.Errorf("app_secret: %w", err)
	}
	if sb.reg != nil {
		if name == DefaultNamespace { // always there, never in Redis
			return nil, fmt.Errorf("namespace %q: %w", name, ErrNamespaceExists)
		}
		return sb.createShared(ctx, spec)
	}
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if _, ok := sb.tenantMap()[name]; ok {
		return nil, fmt.Errorf("namespace %q: %w", name, ErrNamespaceExists)
	}
	if err := sb.roomLocked(name); err != nil {
		return nil, err
	}
	t := sb.newTenant(name, spec.AppSecret)
	t.tokenHash = tokenHash(token)
	t.appSecret = spec.AppSecret != ""
	sb.setTenantLocked(name, t)
	return t, nil
}

// roomLocked fails when another namespace would exceed MaxNamespaces.
func (sb *Sandbox) roomLocked(name string) error {
	if len(sb.tenantMap())-1 >= sb.cfg.MaxNamespaces { // the default namespace does not count
		return fmt.Errorf("namespace %q: the sandbox already holds %d namespaces under /ns/ (--max-namespaces): %w", name, sb.cfg.MaxNamespaces, ErrNamespaceLimit)
	}
	return nil
}

// DeleteNamespace drops the named namespace and all its state, and
// closes its dispatcher (pending deliveries are cancelled). The default
// namespace cannot be deleted. With a shared store it is deleted there,
// for every replica, or the store's error is returned.
func (sb *Sandbox) DeleteNamespace(ctx context.Context, name string) error {
	if name == DefaultNamespace {
		return fmt.Errorf("namespace %q: the default namespace cannot be deleted (empty its journals with DELETE /_admin/ocean/requests and /_admin/impact/deliveries)", name)
	}
	removed := false
	if sb.reg != nil {
		var err error
		if removed, err = sb.reg.RemoveNamespace(ctx, name, 0); err != nil {
			return err
		}
	}
	sb.mu.Lock()
	t, ok := sb.tenantMap()[name]
	sb.deleteTenantLocked(name)
	sb.removals++
	sb.mu.Unlock()
	if ok {
		sb.dropTenant(t)
	}
	if !removed && (sb.reg != nil || !ok) {
		return fmt.Errorf("namespace %q: %w", name, ErrNamespaceNotFound)
	}
	return nil
}

// dropTenant releases what a removed namespace held.
func (sb *Sandbox) dropTenant(t *Tenant) {
	t.Impact.Close()
	t.Ocean.Close()
	if t.deliveries != nil {
		t.deliveries.Close()
	}
	sb.metrics.forget(t.Name)
	if sb.cfg.Logger != nil {
		sb.cfg.Logger.Info("namespace removed", "namespace", t.Name)
	}
}

// Namespaces describes every namespace, by name: with a shared store,
// every replica's, or the store's error.
func (sb *Sandbox) Namespaces(ctx context.Context) ([]NamespaceInfo, error) {
	sb.expire()
	if sb.reg != nil {
		return sb.sharedNamespaces(ctx)
	}
	var out []NamespaceInfo
	for _, t := range sb.tenantList() {
		out = append(out, sb.info(t))
	}
	return out, nil
}

func (sb *Sandbox) info(t *Tenant) NamespaceInfo {
	in := sb.infoOf(t.Name, t.tokenHash != nil, t.created, time.Unix(0, t.lastUsed.Load()))
	in.AppSecretSet = t.appSecret
	return in
}

func (sb *Sandbox) infoOf(name string, tokenSet bool, created, lastUsed time.Time) NamespaceInfo {
	in := NamespaceInfo{Name: name, TokenSet: tokenSet, Created: created, LastUsed: lastUsed.UTC()}
	if sb.cfg.NamespaceTTL > 0 && name != DefaultNamespace {
		e := in.LastUsed.Add(sb.cfg.NamespaceTTL)
		in.Expires = &e
	}
	return in
}

// touch marks t used now (the mark may lag by up to a millisecond); with
// a registry, Redis learns it at most once every usedEvery (a failure to
// tell it is left to the next use).
func (sb *Sandbox) touch(t *Tenant) {
	now := sb.now().UnixNano()
	if d := now - t.lastUsed.Load(); d >= int64(time.Millisecond) || d < 0 {
		// Once a millisecond at most: requests from every core stored
		// the same word each time, handing its cache line around.
		t.lastUsed.Store(now)
	}
	if sb.reg == nil || t.Name == DefaultNamespace || now-t.synced.Load() < int64(usedEvery) {
		return
	}
	t.synced.Store(now)
	_ = sb.reg.TouchNamespace(context.Background(), t.Name, now)
}

func (sb *Sandbox) now() time.Time { return sb.clock.Now() }

// expire removes the namespaces idle for NamespaceTTL or longer. It runs
// at most once a second (of the sandbox's clock), from requests to
// namespaces and the listings.
func (sb *Sandbox) expire() {
	ttl := sb.cfg.NamespaceTTL
	if ttl <= 0 {
		return
	}
	now := sb.now()
	next := sb.nextExpiry.Load()
	if next != nil && now.Before(*next) {
		return // not yet
	}
	after := now.Add(time.Second) // with the wall clock's monotonic reading: a clock set back does not stop expiry
	if !sb.nextExpiry.CompareAndSwap(next, &after) {
		return // another request is looking
	}
	var gone []*Tenant
	sb.mu.Lock()
	if sb.reg != nil {
		sb.mu.Unlock()
		sb.expireShared(now, ttl)
		return
	}
	for name, t := range sb.tenantMap() {
		if name != DefaultNamespace && !now.Before(time.Unix(0, t.lastUsed.Load()).Add(ttl)) {
			sb.deleteTenantLocked(name)
			gone = append(gone, t)
		}
	}
	sb.mu.Unlock()
	for _, t := range gone {
		sb.dropTenant(t)
	}
}

// forget drops a removed namespace's series.
func (m *metrics) forget(ns string) {
	m.retiring.Lock()
	defer m.retiring.Unlock()
	m.retire(ns)
	l := prometheus.Labels{"namespace": ns}
	m.oceanRequests.DeletePartialMatch(l)
	m.impactAttempts.DeletePartialMatch(l)
	m.impactDeliveries.DeletePartialMatch(l)
	m.attemptLatency.DeletePartialMatch(l)
	m.forgotten.Add(1) // after the series went: the counters cached before are looked up again
}

// unknownNamespace answers traffic to a namespace that does not exist
// while namespaces are not created on first use.
func unknownNamespace(w http.ResponseWriter, r *http.Request, name string) {
	httpjson.UploaderError(w, r, http.StatusNotFound, fmt.Sprintf(
		"no namespace %q: this sandbox creates namespaces on request only (--open-namespaces=false); an administrator creates it with POST %s {\"name\": %q, \"token\": \"<at least %d characters>\"}",
		name, NamespacesPath, name, minTokenLen))
}

// serveNamespaces serves NamespacesPath and NamespacesPath/NAME.
func (sb *Sandbox) serveNamespaces(w http.ResponseWriter, r *http.Request) {
	name, one := strings.CutPrefix(r.URL.Path, NamespacesPath+"/")
	if !one && r.URL.Path != NamespacesPath {
		httpjson.NotFound(w, r)
		return
	}
	switch {
	case !one && r.Method == http.MethodGet:
		list, err := sb.Namespaces(r.Context())
		if err != nil {
			httpjson.Unavailable(w, r, err)
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"count": len(list), "namespaces": list})
	case !one && r.Method == http.MethodPost:
		var req NamespaceSpec
		if !httpjson.Decode(w, r, 64<<10, "namespace", &req) {
			return
		}
		if err := CheckNamespace(req.Name); err != nil {
			httpjson.Error(w, http.StatusBadRequest, "namespace: field name: "+err.Error())
			return
		}
		t, err := sb.CreateNamespaceWith(r.Context(), req)
		switch {
		case errors.Is(err, ErrNamespaceExists), errors.Is(err, ErrNamespaceLimit):
			httpjson.Error(w, http.StatusConflict, err.Error())
		case errors.Is(err, store.ErrUnavailable):
			httpjson.Unavailable(w, r, err)
		case err != nil:
			httpjson.Error(w, http.StatusBadRequest, "namespace: field "+err.Error()) // "token: …"
		default:
			w.Header().Set("Location", NamespacesPath+"/"+t.Name)
			httpjson.Write(w, http.StatusCreated, sb.info(t))
		}
	case one && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		t, ok := sb.find(w, r, name, "")
		if !ok {
			return
		}
		if t == nil {
			httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("no namespace %q", name))
			return
		}
		if r.Method == http.MethodGet {
			httpjson.Write(w, http.StatusOK, sb.info(t))
			return
		}
		if err := sb.DeleteNamespace(r.Context(), name); err != nil {
			status := http.StatusBadRequest
			switch {
			case errors.Is(err, ErrNamespaceNotFound):
				status = http.StatusNotFound
			case errors.Is(err, store.ErrUnavailable):
				httpjson.Unavailable(w, r, err)
				return
			}
			httpjson.Error(w, status, err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		if one {
			w.Header().Set("Allow", "GET, DELETE")
		} else {
			w.Header().Set("Allow", "GET, POST")
		}
		httpjson.MethodNotAllowed(w, r)
	}
}

// Route is one admin endpoint: a method and a path template
// (/_admin/ocean/faults/{id}).
type Route struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// AdminRoutes lists every admin endpoint of the sandbox, every one of
// which needs a token when one is configured: the sandbox's own
// (/_admin/namespaces, the profiles when served) and, walked from their
// routers, the Ocean and impact admin APIs. Under /ns/NAME/ a namespace
// serves the emulators' ones again.
func (sb *Sandbox) AdminRoutes() []Route {
	out := []Route{
		{http.MethodGet, NamespacesPath}, {http.MethodPost, NamespacesPath},
		{http.MethodGet, NamespacesPath + "/{name}"}, {http.MethodDelete, NamespacesPath + "/{name}"},
	}
	if sb.cfg.Pprof {
		out = append(out, Route{http.MethodGet, pprofPrefix}, Route{http.MethodGet, pprofPrefix + "{name}"})
	}
	def := sb.lookup(DefaultNamespace)
	walk := func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := r.GetPathTemplate()
		if err != nil || !isAdminPath(path) {
			return nil // a route without a path (a prefix matcher) or not an admin one
		}
		methods, err := r.GetMethods()
		if err != nil {
			return nil // no method matcher: a subrouter's prefix, not an endpoint
		}
		for _, m := range methods {
			out = append(out, Route{m, path})
		}
		return nil
	}
	_ = def.Ocean.Walk(walk)
	_ = def.impactAdmin.Walk(walk)
	return out
}

// find is the namespace name names, for a request: nil when there is
// none yet. It answers the request itself, and reports false, when the
// name breaks the rule (400) or the store cannot be read (503: a JSON
// error, or for a page the page saying so; sub is the path within the
// namespace). Idle namespaces expire first.
func (sb *Sandbox) find(w http.ResponseWriter, r *http.Request, name, sub string) (*Tenant, bool) {
	if err := CheckNamespace(name); err != nil {
		httpjson.UploaderError(w, r, http.StatusBadRequest, err.Error())
		return nil, false
	}
	sb.expire()
	t, err := sb.resolve(name)
	if err != nil {
		if sub != "" && inspector.IsPage(r, sub) {
			inspector.StoreDown(w, err)
			return nil, false
		}
		httpjson.Unavailable(w, r, err)
		return nil, false
	}
	return t, true
}
