package routes

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

func TestFinish(t *testing.T) {
	r := mux.NewRouter()
	ok := func(w http.ResponseWriter, _ *http.Request) {}
	r.HandleFunc("/x", ok).Methods(http.MethodGet)
	sub := r.PathPrefix("/_admin/").Subrouter()
	sub.HandleFunc("/faults", ok).Methods(http.MethodGet, http.MethodPost)
	sub.HandleFunc("/faults/{id}", ok).Methods(http.MethodDelete)
	Finish(r)
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/x", 200, ""},
		{"POST", "/x", 405, "GET, HEAD"},
		{"PATCH", "/_admin/faults", 405, "GET, POST, HEAD"},
		{"GET", "/_admin/faults/f1", 405, "DELETE"},
		{"GET", "/_admin/nothing", 404, ""},
		{"GET", "/nothing", 404, ""},
	} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != c.status || w.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q", c.method, c.path, w.Code, w.Header().Get("Allow"), c.status, c.allow)
		}
		if c.status >= 400 && !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("%s %s: body %q is not a JSON error", c.method, c.path, w.Body)
		}
	}
}
