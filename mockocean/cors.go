package mockocean

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/postbacksim/postbacksim/internal/httpjson"
)

// CORS settings of Config.CORSOrigins.
const (
	// CORSAnyOrigin allows every origin: Access-Control-Allow-Origin: *.
	CORSAnyOrigin = "*"
	// CORSNone switches CORS off: no Access-Control-* headers, and
	// OPTIONS gets HTTP 405 like any other method.
	CORSNone = "none"
)

// activateMethods are the methods /track/activate/ serves, as the Allow
// header of a 405 says them.
const activateMethods = "GET, POST"

// ParseCORSOrigins reads a --cors-origins value: "*" (any origin), "none"
// (CORS off) or a comma-separated list of origins (scheme://host[:port],
// no path). An error names the bad entry and why.
func ParseCORSOrigins(s string) ([]string, error) {
	switch strings.TrimSpace(s) {
	case CORSAnyOrigin:
		return []string{CORSAnyOrigin}, nil
	case CORSNone:
		return []string{CORSNone}, nil
	case "":
		return nil, fmt.Errorf("empty: want *, none or a comma-separated list of origins (https://brand.example)")
	}
	var out []string
	for i, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if err := checkOrigin(e); err != nil {
			return nil, fmt.Errorf("entry %d %q: %v", i+1, e, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// checkOrigin reports whether o is an origin as browsers send it.
func checkOrigin(o string) error {
	switch o {
	case "":
		return fmt.Errorf("empty origin")
	case CORSAnyOrigin, CORSNone:
		return fmt.Errorf("%s stands alone, not in a list", o)
	}
	u, err := url.Parse(o)
	switch {
	case err != nil:
		return fmt.Errorf("want an origin like https://brand.example: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("want an origin like https://brand.example (http or https, then the host)")
	case u.Host == "":
		return fmt.Errorf("no host: want an origin like https://brand.example")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("an origin is scheme://host[:port], without path, query or user")
	}
	return nil
}

// cors is a parsed Config.CORSOrigins.
type cors struct {
	off     bool
	any     bool
	origins []string
}

func newCORS(origins []string) (cors, error) {
	switch {
	case len(origins) == 0:
		return cors{any: true}, nil
	case len(origins) == 1 && origins[0] == CORSAnyOrigin:
		return cors{any: true}, nil
	case len(origins) == 1 && origins[0] == CORSNone:
		return cors{off: true}, nil
	}
	for i, o := range origins {
		if err := checkOrigin(o); err != nil {
			return cors{}, fmt.Errorf("mockocean: Config.CORSOrigins[%d] %q: %v", i, o, err)
		}
	}
	return cors{origins: slices.Clone(origins)}, nil
}

// allowOrigin returns the Access-Control-Allow-Origin value for origin,
// or "" when it is not allowed (or CORS is off, or there is no origin).
func (c cors) allowOrigin(origin string) string {
	switch {
	case c.off || origin == "":
		return ""
	case c.any:
		return CORSAnyOrigin
	case slices.Contains(c.origins, origin):
		return origin
	}
	return ""
}

// annotate adds the CORS headers of an answer to a request from an
// allowed origin.
func (c cors) annotate(w http.ResponseWriter, r *http.Request) {
	if c.off {
		return
	}
	h := w.Header()
	if !c.any {
		h.Add("Vary", "Origin")
	}
	if allow := c.allowOrigin(r.Header.Get("Origin")); allow != "" {
		h.Set("Access-Control-Allow-Origin", allow)
	}
}

// preflight answers an OPTIONS request to /track/activate/: 204 with the
// Access-Control-Allow-* headers for an allowed origin, 403 naming the
// origin otherwise.
func (c cors) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	origin := r.Header.Get("Origin")
	if !c.any {
		h.Add("Vary", "Origin")
	}
	h.Set("Allow", activateMethods+", OPTIONS")
	if origin == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	allow := c.allowOrigin(origin)
	if allow == "" {
		httpjson.Error(w, http.StatusForbidden, fmt.Sprintf("origin %q is not allowed (allowed: %s; serve --cors-origins)", origin, strings.Join(c.origins, ", ")))
		return
	}
	h.Set("Access-Control-Allow-Origin", allow)
	h.Set("Access-Control-Allow-Methods", activateMethods)
	headers := r.Header.Get("Access-Control-Request-Headers")
	if headers == "" {
		headers = "Content-Type"
	}
	h.Set("Access-Control-Allow-Headers", headers)
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}
