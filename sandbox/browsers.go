package sandbox

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/mockocean"
)

// guardBrowsers keeps web pages of other sites from using a sandbox
// through a visitor's browser, token or not:
//
//   - a change (any method but GET, HEAD, OPTIONS) sent by a browser from
//     another origin (its Origin header names another host, or
//     Sec-Fetch-Site says cross-site) is refused with 403: without an
//     admin token, a page the developer visits could otherwise configure
//     postbacks and make the sandbox send requests;
//   - when the sandbox listens on loopback only (Config.LoopbackOnly), a
//     request naming another Host is refused: a DNS name rebound to
//     127.0.0.1 would otherwise let a page read the journals.
//
// /track/activate/ is left out: uploaders, and landing pages under CORS,
// send conversions from anywhere, and the health endpoints are for
// probes. /metrics is not: a scraper names the sandbox's own Host, and a
// page of another site must not read it through a rebound DNS name.
func (sb *Sandbox) guardBrowsers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if exempt(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if sb.cfg.LoopbackOnly && !loopbackHost(r.Host) {
			httpjson.Error(w, http.StatusForbidden, "Host "+r.Host+" is not this sandbox's: it listens on loopback only; use http://127.0.0.1:PORT or http://localhost:PORT")
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if crossSite(r) {
				httpjson.Error(w, http.StatusForbidden, "a change sent by a page of another site is refused (Origin "+r.Header.Get("Origin")+")")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// exempt are the paths any client may use from anywhere.
func exempt(p string) bool {
	// What follows the namespace (or the root), without its first slash:
	// no string is made.
	if rest, ok := strings.CutPrefix(p, "/ns/"); ok {
		_, p, _ = strings.Cut(rest, "/")
	} else if p, ok = strings.CutPrefix(p, "/"); !ok {
		return false
	}
	switch p {
	case mockocean.ActivatePath[1:], "track/activate", "healthz", "readyz":
		return true
	}
	return false
}

// crossSite reports whether a browser sent r from a page of another
// origin. Programs send neither header.
func crossSite(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || origin == "null" || !strings.EqualFold(u.Host, r.Host)
}

// loopbackHost reports whether a Host header names this machine:
// localhost (or a name under .localhost) or a loopback address.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
