package mockocean

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/postbacksim/postbacksim/internal/har"
	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/store"
)

// AdminPrefix is the path under which the admin endpoints live.
const AdminPrefix = "/_admin/ocean"

// maxAdminBody bounds admin request bodies.
const maxAdminBody = 64 << 10

func (s *Server) adminRoutes(r *mux.Router) {
	r.HandleFunc("/requests", s.getRequests).Methods(http.MethodGet)
	r.HandleFunc("/requests", func(w http.ResponseWriter, r *http.Request) {
		noContent(w, r, s.state.ResetJournal(r.Context()))
	}).Methods(http.MethodDelete)
	r.HandleFunc("/conversions", func(w http.ResponseWriter, r *http.Request) {
		c, err := s.Conversions(r.Context())
		writeOr503(w, r, map[string]any{"conversions": c}, err)
	}).Methods(http.MethodGet)
	r.HandleFunc("/faults", func(w http.ResponseWriter, r *http.Request) {
		f, err := s.state.Faults(r.Context())
		writeOr503(w, r, map[string]any{"faults": f}, err)
	}).Methods(http.MethodGet)
	r.HandleFunc("/faults", s.postFault).Methods(http.MethodPost)
	r.HandleFunc("/faults", func(w http.ResponseWriter, r *http.Request) {
		noContent(w, r, s.state.ClearFaults(r.Context()))
	}).Methods(http.MethodDelete)
	r.HandleFunc("/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := mux.Vars(r)["id"]
		ok, err := s.state.RemoveFault(r.Context(), id)
		if err == nil && !ok {
			httpjson.Error(w, http.StatusNotFound, fmt.Sprintf("no fault with id %q", id))
			return
		}
		noContent(w, r, err)
	}).Methods(http.MethodDelete)
	r.HandleFunc("/dedup", func(w http.ResponseWriter, r *http.Request) {
		st, err := s.state.DedupStats(r.Context())
		writeOr503(w, r, st, err)
	}).Methods(http.MethodGet)
	r.HandleFunc("/dedup", func(w http.ResponseWriter, r *http.Request) {
		noContent(w, r, s.state.ResetDedup(r.Context()))
	}).Methods(http.MethodDelete)
	r.HandleFunc("/clicks", s.postClicks).Methods(http.MethodPost)
	r.HandleFunc("/clicks", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"clicks": s.Clicks()})
	}).Methods(http.MethodGet)
	r.HandleFunc("/monitor-macros", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"macros": MonitorMacros()})
	}).Methods(http.MethodGet)
	r.HandleFunc("/report", s.getReport).Methods(http.MethodGet)
	r.HandleFunc("/catalog", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"catalog": Catalog(), "event_types": EventTypes(), "params": Params()})
	}).Methods(http.MethodGet)
}

// writeOr503 writes v with HTTP 200, or the store's error with 503.
func writeOr503(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	httpjson.Write(w, http.StatusOK, v)
}

// noContent answers 204, or the store's error with 503.
func noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// RequestFilter selects journal entries; zero fields match everything.
type RequestFilter struct {
	Code *int
	// EventType is a /track/activate/ event_type number: it matches a
	// legacy request with it, and a v2 request whose event maps to it.
	EventType *int
	// EventName is a v2 event name (event_type=active_pay in a query):
	// it matches the v2 requests that send it.
	EventName string
	// API is APITrack or APIV2; empty matches both.
	API   string
	Fault string
	// Warned keeps only the requests answered with a warning (true), or
	// only those without (false); nil keeps both.
	Warned *bool
	Limit  int    // the newest Limit entries; 0: all
	Since  uint64 // only entries whose Seq is above Since; 0: all
}

// ParseRequestFilter reads code, event_type (a number, or a v2 event
// name), api (track or v2), fault, warned (true or false), limit and
// since from a query.
func ParseRequestFilter(q map[string][]string) (RequestFilter, error) {
	var f RequestFilter
	intParam := func(name string) (*int, error) {
		v := first(q[name])
		if v == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("query parameter %s: %q is not an integer", name, v)
		}
		return &n, nil
	}
	var err error
	if f.Code, err = intParam("code"); err != nil {
		return f, err
	}
	if v := first(q["event_type"]); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			f.EventType = &n
		} else {
			f.EventName = v
		}
	}
	switch f.API = first(q["api"]); f.API {
	case "", APITrack, APIV2:
	default:
		return f, fmt.Errorf("query parameter api: %q: want %s or %s", f.API, APITrack, APIV2)
	}
	limit, err := intParam("limit")
	if err != nil {
		return f, err
	}
	if limit != nil {
		if *limit < 0 {
			return f, fmt.Errorf("query parameter limit: %d is negative", *limit)
		}
		f.Limit = *limit
	}
	if v := first(q["since"]); v != "" {
		if f.Since, err = strconv.ParseUint(v, 10, 64); err != nil {
			return f, fmt.Errorf("query parameter since: %q is not a request number (Seq)", v)
		}
	}
	f.Fault = first(q["fault"])
	if v := first(q["warned"]); v != "" {
		w, err := strconv.ParseBool(v)
		if err != nil {
			return f, fmt.Errorf("query parameter warned: %q: want true or false", v)
		}
		f.Warned = &w
	}
	return f, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// keep reports whether r passes the filter.
func (f RequestFilter) keep(r *Request) bool {
	if f.Code != nil && (r.Status != http.StatusOK || r.Code != *f.Code) {
		return false
	}
	if !f.apiKeeps(r.API) {
		return false
	}
	if f.EventName != "" && (r.API != APIV2 || r.Params["event_type"] != f.EventName) {
		return false
	}
	if f.EventType != nil {
		if r.Conversion != nil {
			if r.Conversion.EventType != *f.EventType {
				return false
			}
		} else if r.Params[ParamEventType] != strconv.Itoa(*f.EventType) {
			return false
		}
	}
	if f.Warned != nil && (len(r.Warnings) > 0) != *f.Warned {
		return false
	}
	return f.Fault == "" || r.Fault == f.Fault
}

// keepEntry reports whether the request e journals passes the filter,
// decoding it only when the filter needs its event type.
func (s *Server) keepEntry(f RequestFilter, e *Entry) bool {
	if f.Code != nil && (e.Status != http.StatusOK || e.Code != *f.Code) {
		return false
	}
	if f.Fault != "" && e.Fault != f.Fault {
		return false
	}
	if !f.apiKeeps(e.Raw.API) {
		return false
	}
	if f.Warned != nil && (len(e.Warnings) > 0) != *f.Warned {
		return false
	}
	if f.EventType == nil && f.EventName == "" {
		return true
	}
	r := s.materialize(e)
	return f.keep(&r)
}

// apiKeeps reports whether a request to api ("" or APIV2, as journaled)
// passes the filter's API.
func (f RequestFilter) apiKeeps(api string) bool {
	switch f.API {
	case APITrack:
		return api == ""
	case APIV2:
		return api == APIV2
	}
	return true
}

// FilterRequests returns the journal entries that pass f.
func (s *Server) FilterRequests(ctx context.Context, f RequestFilter) ([]Request, error) {
	keep := func(e *Entry) bool { return s.keepEntry(f, e) }
	var entries []Entry
	var err error
	switch {
	case f.Limit > 0:
		entries, err = s.state.Newest(ctx, f.Limit, f.Since, keep)
	case f.Since > 0:
		entries, err = s.state.Since(ctx, f.Since)
		entries = slices.DeleteFunc(entries, func(e Entry) bool { return !keep(&e) })
	default:
		entries, err = s.state.Entries(ctx)
		entries = slices.DeleteFunc(entries, func(e Entry) bool { return !keep(&e) })
	}
	return s.materializeAll(entries, err)
}

func (s *Server) getRequests(w http.ResponseWriter, r *http.Request) {
	f, err := ParseRequestFilter(r.URL.Query())
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	asHAR, err := har.Format(r.URL.Query())
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	reqs, err := s.FilterRequests(r.Context(), f)
	if err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	if asHAR {
		har.Write(w, requestsHAR(reqs, r))
		return
	}
	st, err := s.state.JournalStats(r.Context())
	writeOr503(w, r, map[string]any{"count": len(reqs), "stats": st, "requests": reqs}, err)
}

func (s *Server) postFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if !httpjson.Decode(w, r, maxAdminBody, "fault", &f) {
		return
	}
	added, err := s.InjectFault(r.Context(), f)
	if errors.Is(err, store.ErrUnavailable) {
		httpjson.Unavailable(w, r, err)
		return
	}
	if errors.Is(err, ErrTooManyFaults) {
		httpjson.Error(w, http.StatusConflict, "fault: "+err.Error())
		return
	}
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	httpjson.Write(w, http.StatusCreated, added)
}

// MaxAdminClicks bounds one POST /_admin/ocean/clicks.
const MaxAdminClicks = 10_000

// adminClickTimeout bounds one POST /_admin/ocean/clicks in real time.
const adminClickTimeout = 2 * time.Minute

func (s *Server) postClicks(w http.ResponseWriter, r *http.Request) {
	var o ClickOptions
	if !httpjson.Decode(w, r, maxAdminBody, "clicks", &o) {
		return
	}
	if o.Count > MaxAdminClicks {
		httpjson.Error(w, http.StatusBadRequest, fmt.Sprintf("clicks: field count: %d is over %d per request", o.Count, MaxAdminClicks))
		return
	}
	if o.CallbackBase == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		path := r.URL.Path // the request URI keeps any prefix a router stripped (/ns/NAME)
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			path = u.Path
		}
		o.CallbackBase = scheme + "://" + r.Host + strings.TrimSuffix(path, AdminPrefix+"/clicks")
	}
	if s.cfg.ClickTransport != nil {
		o.Client = &http.Client{Timeout: 10 * time.Second, Transport: s.cfg.ClickTransport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminClickTimeout)
	defer cancel()
	rep, err := s.SendClicks(ctx, o)
	if err != nil && rep.Sent == 0 {
		httpjson.Error(w, http.StatusBadRequest, "clicks: "+err.Error())
		return
	}
	out := map[string]any{"report": rep, "summary": rep.String()}
	if err != nil {
		out["error"] = err.Error()
	}
	httpjson.Write(w, http.StatusOK, out)
}

// requestsHAR is the journal as an HTTP Archive: each request as received
// (on the host the admin request named), with the answer it got.
func requestsHAR(reqs []Request, admin *http.Request) *har.Log {
	l := har.New()
	scheme := "http"
	if admin.TLS != nil {
		scheme = "https"
	}
	for _, q := range reqs {
		u := scheme + "://" + admin.Host + q.Path
		if q.Query != "" {
			u += "?" + q.Query
		}
		h := http.Header{}
		if q.ContentType != "" {
			h.Set("Content-Type", q.ContentType)
		}
		x := har.Exchange{Started: q.Time, Method: q.Method, URL: u, Header: h, Body: q.Body, Status: q.Status,
			Comment: fmt.Sprintf("seq %d", q.Seq)}
		if q.Answered {
			x.AnswerType = jsonContentType[0]
			if q.API == APIV2 {
				x.Answer = string(renderV2Answer(q.Code, q.Msg, q.RequestID))
			} else {
				x.Answer = string(answerBody(q.Code, q.Msg))
			}
		}
		if q.Detail != "" {
			x.Comment += ": " + q.Detail
		}
		l.Add(x)
	}
	return l
}
