package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/postbacksim/postbacksim/inspector"

	"github.com/postbacksim/postbacksim/internal/httpjson"
)

// TokenCookie is the cookie a browser presents a token in, for the pages
// of the sandbox: set HttpOnly and SameSite=Strict by the login form.
// Programs send "Authorization: Bearer TOKEN" instead.
const TokenCookie = "postbacksim_token"

// CSRFField is the form field, and CSRFHeader the header, that carries
// CSRFToken(token) on a state-changing request authenticated by the
// cookie: a page of another site can make the browser send the cookie,
// but cannot read the value to send with it.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
)

// CSRFToken is the value a state-changing request authenticated by
// TokenCookie must carry in CSRFField or CSRFHeader: derived from the
// token, so the sandbox keeps no session state.
func CSRFToken(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("postbacksim csrf"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// requestToken returns the token r presents, from its Authorization
// header or, failing that, its TokenCookie, and whether it came from the
// cookie.
func requestToken(r *http.Request) (token string, fromCookie bool) {
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return v, false
	}
	if c, err := r.Cookie(TokenCookie); err == nil {
		return c.Value, true
	}
	return "", false
}

// csrfOK reports whether a request authenticated by the cookie may go
// on: it only reads, or it carries CSRFToken(token).
func csrfOK(r *http.Request, token string) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue(CSRFField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(CSRFToken(token))) == 1
}

// TokenAccepted reports whether token opens the given namespace: the
// admin token opens every one, a namespace's own token (set when it was
// created through /_admin/namespaces) opens that one only. A namespace
// without a token of its own is open when no admin token is configured.
// Tokens are compared in constant time.
func (sb *Sandbox) TokenAccepted(namespace, token string) bool {
	admin := sb.cfg.AdminToken != "" && tokenEqual(token, sb.cfg.AdminToken)
	if t := sb.lookup(namespace); t != nil && t.tokenHash != nil {
		h := sha256.Sum256([]byte(token))
		return admin || subtle.ConstantTimeCompare(h[:], t.tokenHash) == 1
	}
	return sb.cfg.AdminToken == "" || admin
}

// tokenRequired reports whether the admin paths of namespace need a
// token at all.
func (sb *Sandbox) tokenRequired(namespace string) bool {
	if sb.cfg.AdminToken != "" {
		return true
	}
	t := sb.lookup(namespace)
	return t != nil && t.tokenHash != nil
}

// requireToken guards /_admin/ paths (plain or under /ns/NAME/) and the
// profiles: a token the namespace accepts, from the header or the cookie
// (with the CSRF token when the request changes state).
func (sb *Sandbox) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAdminPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		ns := namespaceOf(r.URL.Path)
		if !sb.tokenRequired(ns) {
			next.ServeHTTP(w, r)
			return
		}
		token, fromCookie := requestToken(r)
		switch {
		case token == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="postbacksim admin"`)
			httpjson.Error(w, http.StatusUnauthorized, "admin endpoints need the header Authorization: Bearer <token>: the admin token, or the namespace's own token for /ns/NAME/_admin/")
		case !sb.TokenAccepted(ns, token):
			httpjson.Error(w, http.StatusForbidden, wrongTokenMessage(ns, r.URL.Path))
		case fromCookie && !csrfOK(r, token) && inspector.WantsPage(r):
			inspector.WriteRefusal(w, http.StatusForbidden, "This form was not sent by a page of this sandbox",
				"It lacks the token that the sandbox's own pages put in their forms: it came from another site, or from a page opened before you logged in again. Nothing was changed. Reload the page and send the form again.",
				backTo(r))
		case fromCookie && !csrfOK(r, token):
			httpjson.Error(w, http.StatusForbidden, "a change made with the login cookie needs its CSRF token (form field "+CSRFField+" or header "+CSRFHeader+")")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// backTo is the page a refused form should send the browser back to:
// the namespace's overview.
func backTo(r *http.Request) string {
	if ns := namespaceOf(r.URL.Path); ns != DefaultNamespace {
		return "/ns/" + ns + "/"
	}
	return "/"
}

// requireMetricsToken guards /metrics with MetricsToken (or the admin
// token) from the Authorization header, when one is set.
func (sb *Sandbox) requireMetricsToken(next http.Handler) http.Handler {
	if sb.cfg.MetricsToken == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case !ok || token == "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="postbacksim metrics"`)
			httpjson.Error(w, http.StatusUnauthorized, "/metrics needs the header Authorization: Bearer <metrics token>")
		case !tokenEqual(token, sb.cfg.MetricsToken) && (sb.cfg.AdminToken == "" || !tokenEqual(token, sb.cfg.AdminToken)):
			httpjson.Error(w, http.StatusForbidden, "wrong metrics token")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// namespaceOf is the namespace a path addresses: NAME for /ns/NAME/…,
// else the default one.
func namespaceOf(p string) string {
	if rest, ok := strings.CutPrefix(p, "/ns/"); ok {
		name, _, _ := strings.Cut(rest, "/")
		return name
	}
	return DefaultNamespace
}

// wrongTokenMessage says why a token was refused on path, in namespace
// ns: the admin token is wrong, or the namespace's own token does not
// open another namespace or the namespace endpoints.
func wrongTokenMessage(ns, path string) string {
	switch {
	case strings.HasPrefix(path, NamespacesPath):
		return "wrong token: " + NamespacesPath + " needs the admin token (serve --admin-token)"
	case ns == DefaultNamespace:
		return "wrong token: the default namespace's admin endpoints need the admin token (serve --admin-token)"
	}
	return fmt.Sprintf("wrong token: namespace %q opens with the admin token or its own token (given when it was created)", ns)
}
