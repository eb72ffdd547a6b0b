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
	// Store keeps the duplicate filter, the journal and the fault rules;
	// nil keeps them in this process's memory. A Redis store
	// (NewRedisStore) shares them with every Server on the same store
	// and namespace, and /track/activate/ answers HTTP 503 while Redis
	// cannot be reached.
	Store Store
	// Replica names this process in the requests it journals (Request's
	// Replica): with a shared Store, which replica answered each; empty
	// names none.
	Replica string
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
	cfg   Config
	mode  Mode
	clock clock.Clock
	// state is where the duplicate filter, the journal and the fault
	// rules live: journal, dedup and faults below for the memory store.
	state   oceanState
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
		issuer:  NewIssuer(cfg.CallbackKey),
		clicks:  clickJournal{buf: ring.Buffer[SentClick]{Capacity: cfg.JournalCapacity}},
	}
	if s.mode.Verifier == nil {
		s.mode.Verifier = s.issuer
	}
	if cfg.Store != nil {
		s.state = cfg.Store.open(cfg, s.materialize)
	} else {
		s.dedup = newDedup(cfg.Clock, cfg.DedupCapacity, cfg.DedupTTL)
		s.journal = newJournal(cfg.JournalCapacity, cfg.JournalMaxBytes, s.materialize)
		s.state = &memoryState{dedup: s.dedup, journal: s.journal, faults: &s.faults}
	}
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
	e := entry{time: now, raw: raw, decoded: true, path: r.URL.Path, remote: r.RemoteAddr, replica: s.cfg.Replica}
	var in Input
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		e.decoded, e.status, e.detail = false, http.StatusRequestEntityTooLarge, err.Error()
		if err := s.record(r.Context(), e, Input{Values: map[string]string{}}, Verdict{}); err != nil {
			storeError(w, err)
			return
		}
		httpjson.Error(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	case err != nil: // the client sent less than it announced
		e.raw.Body, e.decoded = "", false
		in = Input{Values: map[string]string{}, BodyError: err.Error()}
	default:
		in = raw.Decode(s.mode.Strict)
	}
	e.notes = in.Notes

	if fr, ok := s.state.(faultFreeRecorder); ok {
		// The common case on a shared store: no fault rule, so validate
		// (pure) and journal in one round trip; with a rule, on as usual.
		v := Validate(in, s.mode)
		ve := e
		ve.status, ve.code, ve.msg, ve.detail, ve.warnings, ve.answered = http.StatusOK, v.Code, v.Msg, v.Detail, v.Warnings, true
		done, err := s.recordVerdictWith(r.Context(), ve, in, &v, fr.recordUnlessFaults)
		if err != nil {
			storeError(w, err)
			return
		}
		if done {
			w.Header()["Content-Type"] = jsonContentType
			_, _ = w.Write(answerBody(v.Code, v.Msg))
			return
		}
	}

	f, ok, err := s.state.pickFault(r.Context(), in.Values)
	if err != nil {
		storeError(w, err)
		return
	}
	if ok {
		e.fault = f.ID
		if err := s.clock.Sleep(r.Context(), f.Delay.D()); err != nil {
			e.detail = "client went away during the injected delay"
			_ = s.record(r.Context(), e, in, Verdict{})
			return
		}
		if status, proceed := faultStatus(f); !proceed {
			e.status = status
			if !f.Malformed && (f.Code != 0 || f.Msg != "") {
				e.code, e.msg, e.answered = f.Code, f.Msg, true
			}
			if err := s.record(r.Context(), e, in, Verdict{}); err != nil {
				storeError(w, err)
				return
			}
			if status == 0 {
				panic(http.ErrAbortHandler) // drops the connection, unlogged
			}
			writeFault(w, f)
			return
		}
	}

	v := Validate(in, s.mode)
	e.status, e.code, e.msg, e.detail, e.warnings, e.answered = http.StatusOK, v.Code, v.Msg, v.Detail, v.Warnings, true
	if err := s.recordVerdict(r.Context(), e, in, &v); err != nil {
		storeError(w, err)
		return
	}
	w.Header()["Content-Type"] = jsonContentType
	_, _ = w.Write(answerBody(v.Code, v.Msg))
}

// storeError answers a request the store could not serve: HTTP 503 with
// a JSON error, so that the client retries later (the request was not
// journaled, and its outer_event_id was not used up).
func storeError(w http.ResponseWriter, err error) {
	w.Header().Set("Retry-After", "1")
	httpjson.Error(w, http.StatusServiceUnavailable, err.Error())
}

// record journals e, a request answered without a verdict that uses the
// duplicate filter; see recordVerdict.
func (s *Server) record(ctx context.Context, e entry, in Input, v Verdict) error {
	return s.recordVerdict(ctx, e, in, &v)
}

// recordVerdict journals e, passing an accepted conversion's
// outer_event_id through the duplicate filter first (v becomes the
// duplicate's answer when it was accepted before); the OnRequest hook
// gets the full Request, built from what the handler already has in
// hand. Nothing is journaled, and the hook is not called, when the store
// fails.
func (s *Server) recordVerdict(ctx context.Context, e entry, in Input, v *Verdict) error {
	_, err := s.recordVerdictWith(ctx, e, in, v, func(ctx context.Context, e entry, id string) (entry, bool, bool, error) {
		e, fresh, err := s.state.record(ctx, e, id)
		return e, fresh, false, err
	})
	return err
}

// recordVerdictWith is recordVerdict through record, which may decline
// (a fault rule exists): done is then false and nothing happened.
func (s *Server) recordVerdictWith(ctx context.Context, e entry, in Input, v *Verdict,
	record func(ctx context.Context, e entry, id string) (entry, bool, bool, error)) (done bool, err error) {
	id := ""
	if v.Code == CodeSuccess && v.Conversion != nil && v.Conversion.OuterEventID != "" {
		id = v.Conversion.OuterEventID
	}
	e, fresh, faults, err := record(ctx, e, id)
	if err != nil || faults {
		return false, err
	}
	if !fresh {
		v.Code, v.Msg, v.Detail = e.code, e.msg, e.detail
	}
	if s.cfg.OnRequest == nil {
		return true, nil
	}
	r := e.request()
	r.Params = in.Values
	if v.Conversion != nil && e.fault == "" {
		r.Conversion = v.Conversion
		r.Attribution = s.attribute(v.Conversion, e.time)
	}
	s.cfg.OnRequest(ctx, r)
	return true, nil
}

// request is e's answer and metadata as a Request, without the derived
// parts.
func (e *entry) request() Request {
	return Request{
		Seq: e.seq, Time: e.time, Method: e.raw.Method, Path: e.path, ContentType: e.raw.ContentType, RemoteAddr: e.remote,
		Status: e.status, Answered: e.answered, Code: e.code, Msg: e.msg, Detail: e.detail, Warnings: e.warnings, Notes: e.notes, Fault: e.fault,
		Replica: e.replica,
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

// The methods below read and change the state in the store; with a
// Redis store, an error (Redis unreachable) reads as empty and changes
// nothing. The admin endpoints answer HTTP 503 then; Ready tells.

// Requests returns the journal, oldest first.
func (s *Server) Requests() []Request {
	out, _ := s.state.snapshot(context.Background(), nil)
	return out
}

// RequestsSince returns the journaled requests whose Seq is above seq,
// oldest first: RequestsSince(0) is Requests, and a reader that passes
// the last Seq it saw reads each request once, however long the journal.
// Requests already evicted are not returned; JournalStats says how many.
func (s *Server) RequestsSince(seq uint64) []Request {
	out, _ := s.state.since(context.Background(), seq)
	return out
}

// Conversions returns the accepted conversions (code 0), oldest first.
func (s *Server) Conversions() []Conversion {
	out, _ := s.conversions(context.Background())
	return out
}

func (s *Server) conversions(ctx context.Context) ([]Conversion, error) {
	reqs, err := s.state.snapshot(ctx, func(r *Request) bool {
		return r.Status == http.StatusOK && r.Fault == "" && r.Code == CodeSuccess && r.Conversion != nil
	})
	out := make([]Conversion, len(reqs))
	for i := range reqs {
		out[i] = *reqs[i].Conversion
	}
	return out, err
}

// WaitForRequests blocks until the server has journaled at least n
// requests since the last ResetJournal, or ctx is done. With a Redis
// store it counts every replica's requests.
func (s *Server) WaitForRequests(ctx context.Context, n int) error {
	return s.state.wait(ctx, n)
}

// JournalStats reports how many requests the journal holds and dropped.
func (s *Server) JournalStats() JournalStats {
	st, _ := s.state.journalStats(context.Background())
	return st
}

// ResetJournal empties the journal and restarts its numbering.
func (s *Server) ResetJournal() { _ = s.state.resetJournal(context.Background()) }

// DedupStats reports the duplicate filter's size and evictions.
func (s *Server) DedupStats() DedupStats {
	st, _ := s.state.dedupStats(context.Background())
	return st
}

// ResetDedup forgets every outer_event_id.
func (s *Server) ResetDedup() { _ = s.state.resetDedup(context.Background()) }

// InjectFault adds a fault rule and returns it with its ID.
func (s *Server) InjectFault(f Fault) (Fault, error) {
	return s.injectFault(context.Background(), f)
}

func (s *Server) injectFault(ctx context.Context, f Fault) (Fault, error) {
	if s.cfg.Store == nil {
		return s.faults.add(f) // validates, fills Msg
	}
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	if f.Code != 0 && f.Msg == "" {
		if r, ok := ruleByCode[f.Code]; ok {
			f.Msg = r.Msg
		}
	}
	f.Hits = 0
	return s.state.addFault(ctx, f)
}

// Faults lists the fault rules with their hit counts.
func (s *Server) Faults() []Fault {
	out, _ := s.state.listFaults(context.Background())
	return out
}

// RemoveFault deletes the rule with id; it reports whether one existed.
func (s *Server) RemoveFault(id string) bool {
	ok, _ := s.state.removeFault(context.Background(), id)
	return ok
}

// ClearFaults deletes every fault rule.
func (s *Server) ClearFaults() { _ = s.state.clearFaults(context.Background()) }

// Walk visits every route of the server (the endpoint and the admin
// API), for tests that must cover each one, such as the sandbox's
// security suite.
func (s *Server) Walk(fn mux.WalkFunc) error { return s.router.Walk(fn) }

// Ready reports whether the server's store can be reached (always, for
// the memory store).
func (s *Server) Ready(ctx context.Context) error { return s.state.ping(ctx) }

// UsesMemoryStore reports whether the server keeps its state in this
// process's memory (no Config.Store).
func (s *Server) UsesMemoryStore() bool { return s.cfg.Store == nil }
