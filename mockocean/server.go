package mockocean

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/mux"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/internal/ring"
	"github.com/postbacksim/postbacksim/internal/routes"
)

// Config configures a Server. The zero value is the default mode with the
// defaults named on each field.
type Config struct {
	// ClickTransport sends the clicks of POST /_admin/ocean/clicks; nil
	// means a plain keep-alive transport. The sandbox gives one that
	// applies its target policy, so the endpoint cannot reach its own
	// network.
	ClickTransport http.RoundTripper
	// Strict applies only the documented rules; see Mode.Strict.
	Strict bool
	// StrictAttribution answers 40011 for callbacks Verifier does not know.
	StrictAttribution bool
	// Verifier recognises callbacks for strict attribution; nil means the
	// emulator's own Issuer.
	Verifier CallbackVerifier
	// CallbackKey signs the callbacks issued with clicks; empty means a
	// random key (callbacks then verify only on this server).
	CallbackKey []byte

	// Clock stamps the journal, ages dedup entries and times injected
	// delays; nil means the wall clock.
	Clock clock.Clock
	// DedupCapacity bounds the remembered outer_event_ids (oldest evicted
	// first); 0 means 1,000,000.
	DedupCapacity int
	// DedupTTL is how long an outer_event_id is remembered; 0 means 24h.
	DedupTTL time.Duration
	// JournalCapacity bounds the journal's count of requests (oldest
	// evicted first); 0 means unbounded.
	JournalCapacity int
	// JournalMaxBytes bounds the journal's size: each request counts its
	// query, body and answer texts plus a fixed overhead, and the oldest
	// are evicted first (the newest is always kept). 0 means no byte
	// bound.
	JournalMaxBytes int64
	// MaxBodyBytes bounds a request body; larger ones get HTTP 413. 0
	// means 1 MiB.
	MaxBodyBytes int64
	// ExtraEventTypes are event_type values agreed separately with the
	// platform (the document allows them), accepted besides the documented
	// enum in both modes and named in the journal and the conversion by
	// their Name. New panics when CheckExtraEventTypes rejects them (a
	// clash with a documented type, a value listed twice, an empty name);
	// ParseExtraEventTypes reads the flag form.
	ExtraEventTypes []EventType
	// CORSOrigins are the origins whose browsers may call
	// /track/activate/ (a landing page sending a link-only web
	// conversion): answers to them carry Access-Control-Allow-Origin, and
	// a preflight OPTIONS gets 204 with the Access-Control-Allow-* headers.
	// nil (or {"*"}, CORSAnyOrigin) allows every origin; {"none"}
	// (CORSNone) switches CORS off. ParseCORSOrigins reads the flag form.
	// New panics on an entry that is not an origin; check user input with
	// ParseCORSOrigins first.
	CORSOrigins []string
	// OnRequest, when set, is called with every journaled request and the
	// HTTP request's context, after it is journaled and before it is
	// answered (for metrics and logs).
	OnRequest func(ctx context.Context, r Request)
}

// Defaults for the zero values of Config.
const (
	DefaultDedupCapacity = 1_000_000
	DefaultDedupTTL      = 24 * time.Hour
	DefaultMaxBodyBytes  = 1 << 20
)

// Server emulates /track/activate/ and serves its admin endpoints. Create
// it with New; it is an http.Handler, safe for concurrent use.
type Server struct {
	cfg     Config
	mode    Mode
	clock   clock.Clock
	journal *journal
	dedup   *dedup
	faults  faultSet
	router  *mux.Router
	issuer  *Issuer
	clicks  clickJournal
	cors    cors
}

// New returns a Server configured by cfg.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.DedupCapacity <= 0 {
		cfg.DedupCapacity = DefaultDedupCapacity
	}
	if cfg.DedupTTL <= 0 {
		cfg.DedupTTL = DefaultDedupTTL
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	c, err := newCORS(cfg.CORSOrigins)
	if err != nil {
		panic(err)
	}
	if err := CheckExtraEventTypes(cfg.ExtraEventTypes); err != nil {
		panic("mockocean: Config.ExtraEventTypes: " + err.Error())
	}
	cfg.ExtraEventTypes = slices.Clone(cfg.ExtraEventTypes)
	s := &Server{
		cors:    c,
		cfg:     cfg,
		mode:    Mode{Strict: cfg.Strict, StrictAttribution: cfg.StrictAttribution, Verifier: cfg.Verifier, ExtraEventTypes: cfg.ExtraEventTypes},
		clock:   cfg.Clock,
		journal: nil, // below: it needs the server to materialize entries
		dedup:   newDedup(cfg.Clock, cfg.DedupCapacity, cfg.DedupTTL),
		issuer:  NewIssuer(cfg.CallbackKey),
		clicks:  clickJournal{buf: ring.Buffer[SentClick]{Capacity: cfg.JournalCapacity}},
	}
	if s.mode.Verifier == nil {
		s.mode.Verifier = s.issuer
	}
	s.journal = newJournal(cfg.JournalCapacity, cfg.JournalMaxBytes, s.materialize)
	s.router = s.routes()
	return s
}

// ActivatePath is the conversion endpoint's path.
const ActivatePath = "/track/activate/"

func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	act := http.HandlerFunc(s.activate)
	r.Handle(ActivatePath, act).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/track/activate", act).Methods(http.MethodGet, http.MethodPost)
	s.adminRoutes(r.PathPrefix(AdminPrefix).Subrouter())
	routes.Finish(r)
	return r
}

// isActivatePath reports whether p is the conversion endpoint.
func isActivatePath(p string) bool { return p == ActivatePath || p == "/track/activate" }

// ServeHTTP serves /track/activate/ (and /track/activate) and the admin
// endpoints under /_admin/ocean/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Fast path: the conversion endpoint skips the router, which clones
	// the request to carry route variables it does not need.
	if isActivatePath(r.URL.Path) {
		switch {
		case r.Method == http.MethodGet || r.Method == http.MethodPost:
			s.cors.annotate(w, r)
			s.activate(w, r)
		case r.Method == http.MethodOptions && !s.cors.off:
			s.cors.preflight(w, r)
		default:
			w.Header().Set("Allow", activateMethods)
			httpjson.MethodNotAllowed(w, r)
		}
		return
	}
	s.router.ServeHTTP(w, r)
}

// Mode reports the validation mode the server runs in.
func (s *Server) Mode() Mode { return s.mode }

func (s *Server) activate(w http.ResponseWriter, r *http.Request) {
	now := s.clock.Now()
	raw, err := ReadRaw(r, s.cfg.MaxBodyBytes)
	e := entry{time: now, raw: raw, decoded: true, path: r.URL.Path, remote: r.RemoteAddr}
	var in Input
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		e.decoded, e.status, e.detail = false, http.StatusRequestEntityTooLarge, err.Error()
		s.record(r.Context(), e, Input{Values: map[string]string{}}, Verdict{})
		httpjson.Error(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	case err != nil: // the client sent less than it announced
		e.raw.Body, e.decoded = "", false
		in = Input{Values: map[string]string{}, BodyError: err.Error()}
	default:
		in = raw.Decode(s.mode.Strict)
	}
	e.notes = in.Notes

	if f, ok := s.faults.pick(in.Values); ok {
		e.fault = f.ID
		if err := s.clock.Sleep(r.Context(), f.Delay.D()); err != nil {
			e.detail = "client went away during the injected delay"
			s.record(r.Context(), e, in, Verdict{})
			return
		}
		if status, proceed := faultStatus(f); !proceed {
			e.status = status
			if !f.Malformed && (f.Code != 0 || f.Msg != "") {
				e.code, e.msg, e.answered = f.Code, f.Msg, true
			}
			s.record(r.Context(), e, in, Verdict{})
			if status == 0 {
				panic(http.ErrAbortHandler) // drops the connection, unlogged
			}
			writeFault(w, f)
			return
		}
	}

	v := Validate(in, s.mode)
	if v.Code == CodeSuccess && v.Conversion.OuterEventID != "" && !s.dedup.add(v.Conversion.OuterEventID) {
		dup := ruleByCode[CodeDuplicate]
		v.Code, v.Msg, v.Detail = dup.Code, dup.Msg, "outer_event_id "+v.Conversion.OuterEventID+" was accepted before"
	}
	e.status, e.code, e.msg, e.detail, e.warnings, e.answered = http.StatusOK, v.Code, v.Msg, v.Detail, v.Warnings, true
	s.record(r.Context(), e, in, v)
	w.Header()["Content-Type"] = jsonContentType
	_, _ = w.Write(answerBody(v.Code, v.Msg))
}

// record journals e; the OnRequest hook gets the full Request, built from
// what the handler already has in hand.
func (s *Server) record(ctx context.Context, e entry, in Input, v Verdict) {
	seq := s.journal.add(e)
	if s.cfg.OnRequest == nil {
		return
	}
	e.seq = seq
	r := e.request()
	r.Params = in.Values
	if v.Conversion != nil && e.fault == "" {
		r.Conversion = v.Conversion
		r.Attribution = s.attribute(v.Conversion, e.time)
	}
	s.cfg.OnRequest(ctx, r)
}

// request is e's answer and metadata as a Request, without the derived
// parts.
func (e *entry) request() Request {
	return Request{
		Seq: e.seq, Time: e.time, Method: e.raw.Method, Path: e.path, ContentType: e.raw.ContentType, RemoteAddr: e.remote,
		Status: e.status, Answered: e.answered, Code: e.code, Msg: e.msg, Detail: e.detail, Warnings: e.warnings, Notes: e.notes, Fault: e.fault,
	}
}

// materialize rebuilds a journaled Request: decoding and validating the
// raw request again give the same parameters and conversion as when it
// arrived. The user's Verifier is not called again (it only decides
// between success and 40011, which the stored code already says).
func (s *Server) materialize(e *entry) Request {
	r := e.request()
	if !e.decoded {
		r.Params = map[string]string{}
		return r
	}
	in := e.raw.Decode(s.mode.Strict)
	r.Params = in.Values
	if e.status == http.StatusOK && e.fault == "" && (e.code == CodeSuccess || e.code == CodeDuplicate) {
		mode := s.mode
		mode.StrictAttribution = false
		if v := Validate(in, mode); v.Conversion != nil {
			r.Conversion = v.Conversion
			r.Attribution = s.attribute(v.Conversion, e.time)
		}
	}
	return r
}

// jsonContentType is shared by every answer; nothing modifies it.
var jsonContentType = []string{"application/json; charset=utf-8"}

// Issuer returns the server's callback issuer.
func (s *Server) Issuer() *Issuer { return s.issuer }

// Requests returns the journal, oldest first.
func (s *Server) Requests() []Request { return s.journal.snapshot(nil) }

// RequestsSince returns the journaled requests whose Seq is above seq,
// oldest first: RequestsSince(0) is Requests, and a reader that passes
// the last Seq it saw reads each request once, however long the journal.
// Requests already evicted are not returned; JournalStats says how many.
func (s *Server) RequestsSince(seq uint64) []Request { return s.journal.since(seq) }

// Conversions returns the accepted conversions (code 0), oldest first.
func (s *Server) Conversions() []Conversion {
	reqs := s.journal.snapshot(func(r *Request) bool {
		return r.Status == http.StatusOK && r.Fault == "" && r.Code == CodeSuccess && r.Conversion != nil
	})
	out := make([]Conversion, len(reqs))
	for i := range reqs {
		out[i] = *reqs[i].Conversion
	}
	return out
}

// WaitForRequests blocks until the server has journaled at least n
// requests since the last ResetJournal, or ctx is done.
func (s *Server) WaitForRequests(ctx context.Context, n int) error {
	return s.journal.wait(ctx, n)
}

// JournalStats reports how many requests the journal holds and dropped.
func (s *Server) JournalStats() JournalStats { return s.journal.stats() }

// ResetJournal empties the journal and restarts its numbering.
func (s *Server) ResetJournal() { s.journal.reset() }

// DedupStats reports the duplicate filter's size and evictions.
func (s *Server) DedupStats() DedupStats { return s.dedup.stats() }

// ResetDedup forgets every outer_event_id.
func (s *Server) ResetDedup() { s.dedup.reset() }

// InjectFault adds a fault rule and returns it with its ID.
func (s *Server) InjectFault(f Fault) (Fault, error) { return s.faults.add(f) }

// Faults lists the fault rules with their hit counts.
func (s *Server) Faults() []Fault { return s.faults.list() }

// RemoveFault deletes the rule with id; it reports whether one existed.
func (s *Server) RemoveFault(id string) bool { return s.faults.remove(id) }

// ClearFaults deletes every fault rule.
func (s *Server) ClearFaults() { s.faults.clear() }

// Walk visits every route of the server (the endpoint and the admin
// API), for tests that must cover each one, such as the sandbox's
// security suite.
func (s *Server) Walk(fn mux.WalkFunc) error { return s.router.Walk(fn) }
