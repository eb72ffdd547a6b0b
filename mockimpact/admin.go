package mockimpact

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/httpjson"
)

// AdminPrefix is the path under which the impact admin endpoints live.
const AdminPrefix = "/_admin/impact"

const maxAdminBody = 1 << 20

// Admin serves the dispatcher's admin endpoints:
//
//	PUT    /_admin/impact/postbacks/{event}   store a postback configuration
//	GET    /_admin/impact/postbacks           list them
//	POST   /_admin/impact/events/{event}      fire a generated (?seed=N) or supplied event
//	GET    /_admin/impact/deliveries          the delivery journal (?event=, ?outcome=)
//	GET    /_admin/impact/deliveries/{id}     one delivery
//	DELETE /_admin/impact/deliveries          forget finished deliveries
type Admin struct {
	d      *Dispatcher
	router *mux.Router
	seed   atomic.Int64
}

// NewAdmin returns the admin handler for d.
func NewAdmin(d *Dispatcher) *Admin {
	a := &Admin{d: d}
	r := mux.NewRouter()
	s := r.PathPrefix(AdminPrefix).Subrouter()
	s.HandleFunc("/postbacks/{event}", a.putPostback).Methods(http.MethodPut)
	s.HandleFunc("/postbacks", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"postbacks": d.Postbacks()})
	}).Methods(http.MethodGet)
	s.HandleFunc("/events/{event}", a.fire).Methods(http.MethodPost)
	s.HandleFunc("/deliveries", a.deliveries).Methods(http.MethodGet)
	s.HandleFunc("/deliveries", func(w http.ResponseWriter, _ *http.Request) {
		d.Reset()
		w.WriteHeader(http.StatusNoContent)
	}).Methods(http.MethodDelete)
	s.HandleFunc("/deliveries/{id}", func(w http.ResponseWriter, r *http.Request) {
		dl, ok := d.Delivery(mux.Vars(r)["id"])
		if !ok {
			httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("no delivery %q", mux.Vars(r)["id"]))
			return
		}
		httpjson.Write(w, http.StatusOK, dl)
	}).Methods(http.MethodGet)
	s.HandleFunc("/events", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"events": fixtures.ImpactEvents(), "outcomes": Outcomes(), "retry_schedule": scheduleText()})
	}).Methods(http.MethodGet)
	r.NotFoundHandler = http.HandlerFunc(httpjson.NotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(httpjson.MethodNotAllowed)
	a.router = r
	return a
}

func scheduleText() []string {
	out := make([]string, len(retrySchedule))
	for i, d := range retrySchedule {
		out[i] = d.String()
	}
	return out
}

// ServeHTTP serves the admin endpoints.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.router.ServeHTTP(w, r) }

func (a *Admin) putPostback(w http.ResponseWriter, r *http.Request) {
	event := mux.Vars(r)["event"]
	var p Postback
	if !httpjson.Decode(w, r, maxAdminBody, "postback", &p) {
		return
	}
	if p.Event != "" && p.Event != event {
		httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("postback: field event: %q differs from the path's %q", p.Event, event))
		return
	}
	p.Event = event
	c, err := a.d.Configure(p)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	httpjson.Write(w, http.StatusOK, c.Postback)
}

func (a *Admin) fire(w http.ResponseWriter, r *http.Request) {
	event := mux.Vars(r)["event"]
	spec, err := fixtures.LookupEvent(event)
	if err != nil {
		httpjson.Error(w, http.StatusNotFound, err.Error())
		return
	}
	body, err := httpjson.ReadBody(w, r, maxAdminBody)
	if err != nil {
		httpjson.Error(w, http.StatusRequestEntityTooLarge, "event: "+err.Error())
		return
	}
	var ev fixtures.Event
	if len(bytes.TrimSpace(body)) > 0 {
		ev = spec.New()
		if err := httpjson.Unmarshal(body, ev); err != nil {
			httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("%s payload: %s", event, httpjson.Describe(err)))
			return
		}
	} else {
		seed := a.seed.Add(1)
		if q := r.URL.Query().Get("seed"); q != "" {
			if seed, err = strconv.ParseInt(q, 10, 64); err != nil {
				httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("query parameter seed: %q is not an integer", q))
				return
			}
		}
		ev, _ = fixtures.NewImpactGen(seed, a.d.Clock().Now()).Event(event)
	}
	id, err := a.d.Fire(ev)
	if err != nil {
		status := http.StatusConflict
		httpjson.Error(w, status, fmt.Sprintf("%v (configure it with PUT %s/postbacks/%s)", err, AdminPrefix, event))
		return
	}
	httpjson.Write(w, http.StatusAccepted, map[string]any{"delivery_id": id, "event": event, "payload": ev})
}

func (a *Admin) deliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	event, outcome := q.Get("event"), q.Get("outcome")
	out := []Delivery{}
	for _, dl := range a.d.Deliveries() {
		if (event == "" || dl.Event == event) && (outcome == "" || string(dl.Outcome) == outcome) {
			out = append(out, dl)
		}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"count": len(out), "stats": a.d.Stats(), "deliveries": out})
}
