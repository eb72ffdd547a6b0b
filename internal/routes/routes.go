// Package routes finishes gorilla/mux routers the way the admin APIs
// answer: a JSON 404 for a path no route has, and a JSON 405 with an
// Allow header for a path whose routes take other methods, subrouters
// included.
package routes

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/postbacksim/postbacksim/internal/httpjson"
)

// methods are the methods Allow tries.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// Allow lists the methods some route of router takes for r's path.
func Allow(router *mux.Router, r *http.Request) []string {
	var out []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if router.Match(probe, &match) && match.MatchErr == nil {
			out = append(out, m)
		}
	}
	return out
}

// Finish sets router's NotFoundHandler and MethodNotAllowedHandler, and
// those of its subrouters, to the JSON answers: 405 with Allow when some
// method would have matched, 404 otherwise.
func Finish(router *mux.Router) {
	answer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := Allow(router, r)
		if len(allow) == 0 {
			httpjson.NotFound(w, r)
			return
		}
		if slices.Contains(allow, http.MethodGet) && !slices.Contains(allow, http.MethodHead) {
			allow = append(allow, http.MethodHead) // net/http answers HEAD for GET
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		httpjson.MethodNotAllowed(w, r)
	})
	router.NotFoundHandler = answer
	router.MethodNotAllowedHandler = answer
}
