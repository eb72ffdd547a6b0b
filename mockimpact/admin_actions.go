package mockimpact

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/store"
)

// retryNow serves POST /_admin/impact/deliveries/{id}/retry.
func (a *Admin) retryNow(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	switch err := a.d.RetryNow(r.Context(), id); {
	case errors.Is(err, store.ErrUnavailable):
		httpjson.Unavailable(w, r, err)
	case errors.Is(err, ErrNoDelivery):
		httpjson.Error(w, http.StatusNotFound, err.Error())
	case err != nil:
		httpjson.Error(w, http.StatusConflict, err.Error())
	default:
		httpjson.Write(w, http.StatusAccepted, map[string]any{"delivery_id": id, "due": a.d.Clock().Now()})
	}
}

// replay serves POST /_admin/impact/deliveries/{id}/replay.
func (a *Admin) replay(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	nid, err := a.d.Replay(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrUnavailable):
		httpjson.Unavailable(w, r, err)
	case errors.Is(err, ErrNoDelivery):
		httpjson.Error(w, http.StatusNotFound, err.Error())
	case err != nil:
		httpjson.Error(w, http.StatusConflict, err.Error())
	default:
		httpjson.Write(w, http.StatusAccepted, map[string]any{"delivery_id": nid, "replay_of": id})
	}
}
