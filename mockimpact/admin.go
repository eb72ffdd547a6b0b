package mockimpact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/har"
	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/internal/routes"
	"github.com/postbacksim/postbacksim/internal/suggest"
	"github.com/postbacksim/postbacksim/store"
)

// AdminPrefix is the path under which the impact admin endpoints live.
const AdminPrefix = "/_admin/impact"

const maxAdminBody = 1 << 20

// Admin serves the dispatcher's admin endpoints:
//
//	PUT    /_admin/impact/postbacks/{event}   store a postback configuration
//	GET    /_admin/impact/postbacks           list them
//	DELETE /_admin/impact/postbacks/{event}   remove one
//	POST   /_admin/impact/events/{event}      fire a generated event (?seed=N, ?status=S),
//	                                          a JSON body overriding some of its fields;
//	                                          ?count=N fires N (seeds N, N+1, …)
//	GET    /_admin/impact/deliveries          the delivery journal (?event=, ?outcome=)
//	GET    /_admin/impact/deliveries/{id}     one delivery
//	DELETE /_admin/impact/deliveries          forget finished deliveries
//	POST   /_admin/impact/deliveries/{id}/retry   make the next attempt now
//	POST   /_admin/impact/deliveries/{id}/replay  deliver the same request again
//
// While the dispatcher's stores do not answer, every route but GET
// /_admin/impact/events (the catalog) answers 503 with Retry-After
// (httpjson.Unavailable) and has done nothing.
type Admin struct {
	d      *Dispatcher
	jobs   *Jobs
	router *mux.Router
	seed   atomic.Int64
}

// AdminOption adjusts an Admin.
type AdminOption func(*Admin)

// WithJobs makes the job_completed events fired through the admin point
// at jobs: their detail, result and download links are rewritten to the
// server's own base URL (PublicBase) and served by jobs, unless the
// supplied payload sets them.
func WithJobs(jobs *Jobs) AdminOption { return func(a *Admin) { a.jobs = jobs } }

// NewAdmin returns the admin handler for d.
func NewAdmin(d *Dispatcher, opts ...AdminOption) *Admin {
	a := &Admin{d: d}
	for _, o := range opts {
		o(a)
	}
	r := mux.NewRouter()
	s := r.PathPrefix(AdminPrefix).Subrouter()
	s.HandleFunc("/postbacks/{event}", a.putPostback).Methods(http.MethodPut)
	s.HandleFunc("/postbacks/{event}", a.deletePostback).Methods(http.MethodDelete)
	s.HandleFunc("/postbacks", func(w http.ResponseWriter, r *http.Request) {
		list, err := d.Postbacks(r.Context())
		if err != nil {
			httpjson.Unavailable(w, r, err)
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"postbacks": list})
	}).Methods(http.MethodGet)
	s.HandleFunc("/events/{event}", a.fire).Methods(http.MethodPost)
	s.HandleFunc("/deliveries", a.deliveries).Methods(http.MethodGet)
	s.HandleFunc("/deliveries", func(w http.ResponseWriter, r *http.Request) {
		if err := d.Reset(r.Context()); err != nil {
			httpjson.Unavailable(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}).Methods(http.MethodDelete)
	s.HandleFunc("/deliveries/{id}", func(w http.ResponseWriter, r *http.Request) {
		dl, ok, err := d.Delivery(r.Context(), mux.Vars(r)["id"])
		if err != nil {
			httpjson.Unavailable(w, r, err)
			return
		}
		if !ok {
			httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("no delivery %q", mux.Vars(r)["id"]))
			return
		}
		asHAR, err := har.Format(r.URL.Query())
		switch {
		case err != nil:
			httpjson.Error(w, http.StatusBadRequest, err.Error())
		case asHAR:
			har.Write(w, deliveriesHAR([]Delivery{dl}))
		default:
			httpjson.Write(w, http.StatusOK, dl)
		}
	}).Methods(http.MethodGet)
	s.HandleFunc("/deliveries/{id}/retry", a.retryNow).Methods(http.MethodPost)
	s.HandleFunc("/deliveries/{id}/replay", a.replay).Methods(http.MethodPost)
	s.HandleFunc("/events", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"events": fixtures.ImpactEvents(), "statuses": fixtures.ImpactStatuses(), "outcomes": Outcomes(), "retry_schedule": scheduleText()})
	}).Methods(http.MethodGet)
	routes.Finish(r)
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
	c, err := a.d.Configure(r.Context(), p)
	switch {
	case errors.Is(err, store.ErrUnavailable):
		httpjson.Unavailable(w, r, err)
		return
	case err != nil:
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	httpjson.Write(w, http.StatusOK, c.Postback)
}

func (a *Admin) deletePostback(w http.ResponseWriter, r *http.Request) {
	event := mux.Vars(r)["event"]
	had, err := a.d.Unconfigure(r.Context(), event)
	switch {
	case err != nil:
		httpjson.Unavailable(w, r, err)
	case !had:
		httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("no postback configured for %q", event))
	default:
		w.WriteHeader(http.StatusNoContent)
	}
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
	q := r.URL.Query()
	var seed int64
	if text := q.Get("seed"); text != "" {
		if seed, err = strconv.ParseInt(text, 10, 64); err != nil {
			httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("query parameter seed: %q is not an integer", text))
			return
		}
	} else {
		seed = a.seed.Add(1)
	}
	status := q.Get("status")
	if err := fixtures.CheckStatus(event, status); err != nil {
		httpjson.Error(w, http.StatusBadRequest, "query parameter status: "+err.Error())
		return
	}
	supplied, status, msg := overlayFields(spec, body, status)
	if msg != "" {
		httpjson.Error(w, http.StatusBadRequest, msg)
		return
	}
	count := 1
	if text := q.Get("count"); text != "" {
		if count, err = strconv.Atoi(text); err != nil || count < 1 || count > MaxFireCount {
			httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("query parameter count: %q: want 1 to %d events", text, MaxFireCount))
			return
		}
	}
	ids := make([]string, 0, count)
	var last fixtures.Event
	for i := range count {
		// Event i of a batch is generated from seed+i: same seed, same batch.
		ev, msg := a.generate(r, event, body, supplied, seed+int64(i), status)
		if msg != "" {
			a.fireFailed(w, r, http.StatusBadRequest, msg, ids)
			return
		}
		id, err := a.d.Fire(r.Context(), ev)
		switch {
		case errors.Is(err, store.ErrUnavailable) && len(ids) == 0:
			httpjson.Unavailable(w, r, err)
			return
		case errors.Is(err, store.ErrUnavailable):
			a.fireFailed(w, r, http.StatusServiceUnavailable, err.Error(), ids)
			return
		case errors.Is(err, ErrTooManyPending):
			a.fireFailed(w, r, http.StatusConflict, err.Error(), ids)
			return
		case err != nil:
			a.fireFailed(w, r, http.StatusConflict, fmt.Sprintf("%v (configure it with PUT %s/postbacks/%s)", err, AdminPrefix, event), ids)
			return
		}
		ids, last = append(ids, id), ev
	}
	if count == 1 {
		httpjson.Write(w, http.StatusAccepted, map[string]any{"delivery_id": ids[0], "event": event, "seed": seed, "payload": last})
		return
	}
	httpjson.Write(w, http.StatusAccepted, map[string]any{"delivery_ids": ids, "event": event, "seed": seed, "count": count})
}

// MaxFireCount bounds the events one POST /_admin/impact/events/{event}
// fires (?count=N).
const MaxFireCount = 10_000

// generate makes one event of a fire: generated from seed with status,
// the supplied fields over it. A message says what is wrong.
func (a *Admin) generate(r *http.Request, event string, body []byte, supplied map[string]bool, seed int64, status string) (fixtures.Event, string) {
	ev, err := fixtures.Generate(event, fixtures.GenOptions{Seed: seed, Status: status}, a.d.Clock().Now())
	if err != nil {
		return nil, err.Error()
	}
	if supplied != nil {
		// The supplied fields replace the generated ones, the others stay.
		if err := httpjson.Unmarshal(body, ev); err != nil {
			return nil, fmt.Sprintf("%s payload: %s", event, httpjson.Describe(err))
		}
		fixtures.FillCollections(ev) // "properties": null is delivered as []
	}
	if job, ok := ev.(*fixtures.JobCompleted); ok && a.jobs != nil {
		a.jobs.Register(job, PublicBase(r), supplied)
	}
	return ev, ""
}

// fireFailed answers a fire that stopped: the error, and the deliveries
// of the batch already fired, which go on (nothing fired is dropped).
func (a *Admin) fireFailed(w http.ResponseWriter, r *http.Request, status int, msg string, fired []string) {
	if len(fired) == 0 {
		httpjson.Error(w, status, msg)
		return
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	httpjson.Write(w, status, map[string]any{
		"error":        fmt.Sprintf("%s; the first %d of the batch were fired and are delivered", msg, len(fired)),
		"delivery_ids": fired,
	})
}

// overlayFields checks a supplied partial payload: a JSON object of the
// event's fields (no others, each of its type), whose status, if it sets
// one, must be one of the event's and agree with ?status=. It returns the
// fields supplied (nil for an empty body), the status to generate, and a
// message naming the field when the payload is refused.
func overlayFields(spec fixtures.EventSpec, body []byte, status string) (map[string]bool, string, string) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, status, ""
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, "", fmt.Sprintf("%s payload: %s", spec.Name, httpjson.Describe(err))
		}
		return nil, "", fmt.Sprintf("%s payload: want a JSON object of its fields", spec.Name)
	}
	// encoding/json matches names regardless of case; the payload's are exact.
	var names []string
	for _, f := range spec.Fields() {
		names = append(names, f.JSONName)
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !slices.Contains(names, k) {
			msg := fmt.Sprintf("%s payload: unknown field %q", spec.Name, k)
			if near, ok := suggest.Closest(k, names); ok {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			return nil, "", msg
		}
		one, _ := json.Marshal(map[string]json.RawMessage{k: keys[k]})
		if err := httpjson.Unmarshal(one, spec.New()); err != nil {
			msg := httpjson.Describe(err)
			if !strings.HasPrefix(msg, "field ") {
				msg = fmt.Sprintf("field %s: %s", k, msg)
			}
			return nil, "", fmt.Sprintf("%s payload: %s", spec.Name, msg)
		}
	}
	probe := spec.New()
	if err := httpjson.Unmarshal(body, probe); err != nil {
		return nil, "", fmt.Sprintf("%s payload: %s", spec.Name, httpjson.Describe(err))
	}
	supplied := make(map[string]bool, len(keys))
	for k := range keys {
		supplied[k] = true
	}
	statuses := fixtures.StatusesOf(spec.Name)
	if len(statuses) == 0 {
		return supplied, status, ""
	}
	field := statuses[0].Field
	if !supplied[field] {
		return supplied, status, ""
	}
	got, _ := fixtures.StatusOf(probe)
	if err := fixtures.CheckStatus(spec.Name, got); err != nil || got == "" {
		return nil, "", fmt.Sprintf("%s payload: field %s: %q is not a status of %s (want %s)", spec.Name, field, got, spec.Name, strings.Join(fixtures.StatusNames(spec.Name), ", "))
	}
	if status != "" && got != status {
		return nil, "", fmt.Sprintf("%s payload: field %s: %q differs from the query parameter status=%s", spec.Name, field, got, status)
	}
	return supplied, got, ""
}

func (a *Admin) deliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	asHAR, err := har.Format(q)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	event, outcome := q.Get("event"), q.Get("outcome")
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("query parameter limit: %q: want a count of deliveries, 0 or more (0: all)", v))
			return
		}
		limit = n
	}
	stats, err := a.d.Stats(r.Context())
	if err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	count, out, err := a.d.listDeliveries(r.Context(), func(dl *StoredDelivery) bool {
		return (event == "" || dl.Event == event) && (outcome == "" || string(dl.Outcome) == outcome)
	}, limit)
	if err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	if asHAR {
		har.Write(w, deliveriesHAR(out))
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"count": count, "stats": stats, "deliveries": out})
}

// Walk visits every route of the admin API, for tests that must cover
// each one, such as the sandbox's security suite.
func (a *Admin) Walk(fn mux.WalkFunc) error { return a.router.Walk(fn) }

// deliveriesHAR is the deliveries' attempts as an HTTP Archive: each
// attempt an entry, the request as sent, the answer's status and body
// excerpt, its latency as the wait timing.
func deliveriesHAR(ds []Delivery) *har.Log {
	l := har.New()
	for _, d := range ds {
		for _, a := range d.Attempts {
			x := har.Exchange{Started: a.Actual, Latency: a.Latency, Status: a.Status, Answer: a.ResponseBody,
				Comment: fmt.Sprintf("%s attempt %d: %s", d.ID, a.N, a.Outcome)}
			if d.Request != nil {
				x.Method, x.URL, x.Header, x.Body = d.Request.Method, d.Request.URL, d.Request.Header, d.Request.Body
			}
			if a.Error != "" {
				x.Comment += " (" + a.Error + ")"
			}
			l.Add(x)
		}
	}
	return l
}
