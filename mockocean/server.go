package mockocean

import (
	"context"
	"errors"
	"fmt"
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
	// Lenient accepts, with a warning, what real clients send outside
	// the document's explicit rules; see Mode.Lenient and Leniencies.
	Lenient bool
	// Strict makes every warning an error; see Mode.Strict.
	Strict bool
	// StrictAttribution answers 40011 for callbacks Verifier does not know.
	StrictAttribution bool
	// Verifier recognises callbacks for strict attribution; nil means the
	// emulator's own Issuer.
	Verifier CallbackVerifier
	// CallbackKey signs the callbacks issued with clicks; empty means a
	// random key (callbacks then verify only on this server).
	CallbackKey []byte
	// AppSecret, when set, makes the v2 API check its requests'
	// x-signature: hex(sha256(body + AppSecret)), as the public SDK signs
	// them; without a secret the header is journaled, not checked.
	AppSecret string

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
	// nil keeps them in this process's memory (MemoryStore). A shared
	// store (package redisstore) shares them with every Server opened on
	// it, and every endpoint that needs them answers HTTP 503 while it
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
	// rules live.
	state  State
	router *mux.Router
	issuer *Issuer
	clicks clickJournal
	cors   cors
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
		cors: c,
		cfg:  cfg,
		mode: Mode{Lenient: cfg.Lenient, Strict: cfg.Strict, StrictAttribution: cfg.StrictAttribution, Verifier: cfg.Verifier, ExtraEventTypes: cfg.ExtraEventTypes,
			AppSecret: cfg.AppSecret},
		clock:  cfg.Clock,
		issuer: NewIssuer(cfg.CallbackKey),
		clicks: clickJournal{buf: ring.Buffer[SentClick]{Capacity: cfg.JournalCapacity}},
	}
	if s.mode.Verifier == nil {
		s.mode.Verifier = s.issuer
	}
	if cfg.Store == nil {
		cfg.Store = MemoryStore{}
	}
	s.state = cfg.Store.Open(StateConfig{Clock: cfg.Clock, DedupCapacity: cfg.DedupCapacity, DedupTTL: cfg.DedupTTL,
		JournalCapacity: cfg.JournalCapacity, JournalMaxBytes: cfg.JournalMaxBytes})
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
	v2 := http.HandlerFunc(s.activateV2)
	r.Handle(V2Path, v2).Methods(http.MethodPost)
	r.Handle(V2Path+"/", v2).Methods(http.MethodPost)
	s.adminRoutes(r.PathPrefix(AdminPrefix).Subrouter())
	routes.Finish(r)
	return r
}

// isActivatePath reports whether p is the conversion endpoint.
func isActivatePath(p string) bool { return p == ActivatePath || p == "/track/activate" }

// isV2Path reports whether p is the v2 conversion endpoint (the SDK
// signs the path with a slash at its end, and posts without one).
func isV2Path(p string) bool { return p == V2Path || p == V2Path+"/" }

// ServeHTTP serves /track/activate/ (and /track/activate),
// /api/v2/conversion and the admin endpoints under /_admin/ocean/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Fast path: the conversion endpoints skip the router, which clones
	// the request to carry route variables they do not need.
	switch {
	case isActivatePath(r.URL.Path):
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
	case isV2Path(r.URL.Path):
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			httpjson.MethodNotAllowed(w, r)
			return
		}
		s.activateV2(w, r)
	default:
		s.router.ServeHTTP(w, r)
	}
}

// Mode reports the validation mode the server runs in.
func (s *Server) Mode() Mode { return s.mode }

func (s *Server) activate(w http.ResponseWriter, r *http.Request)   { s.convert(w, r, false) }
func (s *Server) activateV2(w http.ResponseWriter, r *http.Request) { s.convert(w, r, true) }

// decide decodes and validates raw as its API says: the parameters fault
// rules match, and the verdict.
func (s *Server) decide(raw Raw, mode Mode) (Input, Verdict) {
	return s.decideBytes(raw, nil, mode)
}

// decideBytes is decide, given the body's bytes when the caller has them
// (raw.Body is the same text).
func (s *Server) decideBytes(raw Raw, body []byte, mode Mode) (Input, Verdict) {
	if raw.API == APIV2 {
		return ValidateV2(raw, mode)
	}
	in := raw.decodeBytes(mode.lenient(), body)
	return in, Validate(in, mode)
}

// convert serves a conversion, legacy or v2: decode, validate (pure),
// then, when no fault rule exists, dedup and journal in one step of the
// store (one round trip to a shared one) and answer; when one exists,
// the rules apply first.
func (s *Server) convert(w http.ResponseWriter, r *http.Request, v2 bool) {
	now := s.clock.Now()
	raw, body, err := readRaw(r, s.cfg.MaxBodyBytes)
	if v2 {
		readV2Headers(&raw, r.Header)
	}
	e := Entry{Time: now, Raw: raw, Decoded: true, Path: r.URL.Path, Remote: r.RemoteAddr, Replica: s.cfg.Replica}
	var in Input
	var v Verdict
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		e.Decoded, e.Status, e.Detail = false, http.StatusRequestEntityTooLarge, err.Error()
		if _, err := s.record(r.Context(), &e, Input{Values: map[string]string{}}, &Verdict{}, false); err != nil {
			httpjson.Unavailable(w, r, err)
			return
		}
		httpjson.UploaderError(w, r, http.StatusRequestEntityTooLarge, err.Error())
		return
	case err != nil: // the client sent less than it announced
		e.Raw.Body, e.Decoded = "", false
		in = Input{Values: map[string]string{}, BodyError: err.Error()}
		if v2 {
			rule := v2RuleByCode[V2CodeInvalidBody]
			v = Verdict{Code: rule.Code, Msg: rule.Message, Detail: err.Error()}
		} else {
			v = Validate(in, s.mode)
		}
	default:
		in, v = s.decideBytes(raw, body, s.mode)
	}
	e.Notes = in.Notes

	// The common case: no fault rule.
	ve := e
	ve.Status, ve.Code, ve.Msg, ve.Detail, ve.Warnings, ve.Answered = http.StatusOK, v.Code, v.Msg, v.Detail, v.Warnings, true
	faults, err := s.record(r.Context(), &ve, in, &v, true)
	if err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	if !faults {
		s.answer(w, &ve)
		return
	}

	f, ok, err := s.state.PickFault(r.Context(), apiOf(raw.API), in.Values)
	if err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	if ok {
		e.Fault = f.ID
		if err := s.clock.Sleep(r.Context(), f.Delay.D()); err != nil {
			e.Detail = "client went away during the injected delay"
			_, _ = s.record(r.Context(), &e, in, &Verdict{}, false)
			return
		}
		if status, proceed := faultStatus(f); !proceed {
			e.Status = status
			if !f.Malformed && (f.Code != 0 || f.Msg != "") {
				e.Code, e.Msg, e.Answered = f.Code, f.Msg, true
			}
			if _, err := s.record(r.Context(), &e, in, &Verdict{}, false); err != nil {
				httpjson.Unavailable(w, r, err)
				return
			}
			if status == 0 {
				panic(http.ErrAbortHandler) // drops the connection, unlogged
			}
			writeFault(w, f, &e)
			return
		}
	}

	e.Status, e.Code, e.Msg, e.Detail, e.Warnings, e.Answered = http.StatusOK, v.Code, v.Msg, v.Detail, v.Warnings, true
	if _, err := s.record(r.Context(), &e, in, &v, false); err != nil {
		httpjson.Unavailable(w, r, err)
		return
	}
	s.answer(w, &e)
}

// apiOf names the API of a request whose Raw.API is api.
func apiOf(api string) string {
	if api == "" {
		return APITrack
	}
	return api
}

// answer writes the journaled answer e: {"code","ret","msg"} on
// /track/activate/, {"code","message","request_id"} on the v2 API.
func (s *Server) answer(w http.ResponseWriter, e *Entry) {
	w.Header()["Content-Type"] = jsonContentType
	if e.Raw.API == APIV2 {
		_, _ = w.Write(renderV2Answer(e.Code, e.Msg, v2RequestID(e)))
		return
	}
	_, _ = w.Write(answerBody(e.Code, e.Msg))
}

// record journals e, passing an accepted conversion's outer_event_id
// through the duplicate filter first (v becomes the duplicate's answer
// when it was accepted before); the OnRequest hook gets the full
// Request, built from what the handler already has in hand. With
// unlessFaults, a state holding a fault rule records nothing, and faults
// is true. Nothing is journaled, and the hook is not called, when the
// store fails.
func (s *Server) record(ctx context.Context, e *Entry, in Input, v *Verdict, unlessFaults bool) (faults bool, err error) {
	id := ""
	if v.Code == CodeSuccess && v.Conversion != nil && v.Conversion.OuterEventID != "" && !v.Conversion.Debug {
		id = v.Conversion.OuterEventID
	}
	journaled, fresh, faults, err := s.state.Record(ctx, *e, id, unlessFaults)
	if err != nil || faults {
		return faults, err
	}
	*e = journaled
	if !fresh {
		v.Code, v.Msg, v.Detail = e.Code, e.Msg, e.Detail
	}
	if s.cfg.OnRequest == nil {
		return false, nil
	}
	r := e.request()
	r.Params = in.Values
	if v.Conversion != nil && e.Fault == "" {
		r.Conversion = v.Conversion
		r.Attribution = s.attribute(v.Conversion, e.Time)
	}
	s.cfg.OnRequest(ctx, r)
	return false, nil
}

// materialize rebuilds a journaled Request: decoding and validating the
// raw request again give the same parameters and conversion as when it
// arrived. The user's Verifier is not called again (it only decides
// between success and 40011, which the stored code already says).
func (s *Server) materialize(e *Entry) Request {
	r := e.request()
	if !e.Decoded {
		r.Params = map[string]string{}
		return r
	}
	mode := s.mode
	mode.StrictAttribution = false
	in, v := s.decide(e.Raw, mode)
	r.Params = in.Values
	if e.Status == http.StatusOK && e.Fault == "" && (e.Code == CodeSuccess || e.Code == CodeDuplicate || e.Code == V2CodeDuplicate) &&
		v.Conversion != nil {
		r.Conversion = v.Conversion
		r.Attribution = s.attribute(v.Conversion, e.Time)
	}
	return r
}

// materializeAll is materialize over a journal read.
func (s *Server) materializeAll(entries []Entry, err error) ([]Request, error) {
	if err != nil {
		return nil, err
	}
	out := make([]Request, len(entries))
	for i := range entries {
		out[i] = s.materialize(&entries[i])
	}
	return out, nil
}

// jsonContentType is shared by every answer; nothing modifies it.
var jsonContentType = []string{"application/json; charset=utf-8"}

// Issuer returns the server's callback issuer.
func (s *Server) Issuer() *Issuer { return s.issuer }

// The methods below read and change the state in the store. With a
// shared store (Redis), each fails with an error wrapping
// store.ErrUnavailable while it cannot be reached, having changed
// nothing.

// Requests returns the journal, oldest first.
func (s *Server) Requests(ctx context.Context) ([]Request, error) {
	return s.materializeAll(s.state.Entries(ctx))
}

// RequestsSince returns the journaled requests whose Seq is above seq,
// oldest first: RequestsSince(ctx, 0) is Requests, and a reader that
// passes the last Seq it saw reads each request once, however long the
// journal. Requests already evicted are not returned; JournalStats says
// how many.
func (s *Server) RequestsSince(ctx context.Context, seq uint64) ([]Request, error) {
	return s.materializeAll(s.state.Since(ctx, seq))
}

// Conversions returns the accepted conversions (code 0), oldest first.
func (s *Server) Conversions(ctx context.Context) ([]Conversion, error) {
	entries, err := s.state.Entries(ctx)
	if err != nil {
		return nil, err
	}
	out := []Conversion{}
	for i := range entries {
		e := &entries[i]
		if e.Status != http.StatusOK || e.Fault != "" || e.Code != CodeSuccess {
			continue
		}
		if r := s.materialize(e); r.Conversion != nil {
			out = append(out, *r.Conversion)
		}
	}
	return out, nil
}

// WaitForRequests blocks until the server has journaled at least n
// requests since the last ResetJournal, or ctx is done. With a shared
// store it counts every replica's requests.
func (s *Server) WaitForRequests(ctx context.Context, n int) error {
	return s.state.Wait(ctx, n)
}

// JournalStats reports how many requests the journal holds and dropped.
func (s *Server) JournalStats(ctx context.Context) (JournalStats, error) {
	return s.state.JournalStats(ctx)
}

// ResetJournal empties the journal and restarts its numbering.
func (s *Server) ResetJournal(ctx context.Context) error { return s.state.ResetJournal(ctx) }

// DedupStats reports the duplicate filter's size and evictions.
func (s *Server) DedupStats(ctx context.Context) (DedupStats, error) {
	return s.state.DedupStats(ctx)
}

// ResetDedup forgets every outer_event_id.
func (s *Server) ResetDedup(ctx context.Context) error { return s.state.ResetDedup(ctx) }

// MaxFaultRules bounds the fault rules of one Server (one namespace):
// each request is matched against them all, and the inspector lists them.
const MaxFaultRules = 256

// ErrTooManyFaults is InjectFault's error past MaxFaultRules.
var ErrTooManyFaults = fmt.Errorf("%d fault rules already: remove some first (DELETE /_admin/ocean/faults/{id}, or all with DELETE /_admin/ocean/faults)", MaxFaultRules)

// InjectFault adds a fault rule and returns it with its ID. A rule that
// fails Fault.Validate, or an ID in use, is an error that does not wrap
// store.ErrUnavailable; past MaxFaultRules rules, ErrTooManyFaults.
func (s *Server) InjectFault(ctx context.Context, f Fault) (Fault, error) {
	if err := f.Check(); err != nil {
		return Fault{}, err
	}
	rules, err := s.state.Faults(ctx)
	if err != nil {
		return Fault{}, err
	}
	if len(rules) >= MaxFaultRules {
		return Fault{}, ErrTooManyFaults
	}
	return s.state.AddFault(ctx, f)
}

// Faults lists the fault rules with their hit counts.
func (s *Server) Faults(ctx context.Context) ([]Fault, error) { return s.state.Faults(ctx) }

// RemoveFault deletes the rule with id; it reports whether one existed.
func (s *Server) RemoveFault(ctx context.Context, id string) (bool, error) {
	return s.state.RemoveFault(ctx, id)
}

// ClearFaults deletes every fault rule.
func (s *Server) ClearFaults(ctx context.Context) error { return s.state.ClearFaults(ctx) }

// Walk visits every route of the server (the endpoint and the admin
// API), for tests that must cover each one, such as the sandbox's
// security suite.
func (s *Server) Walk(fn mux.WalkFunc) error { return s.router.Walk(fn) }

// Close releases what the Server's state holds in this process's memory
// from the budget it is charged on (MemoryStore.Budget): a namespace
// removed. The Server must not be used after.
func (s *Server) Close() {
	if c, ok := s.state.(interface{ Close() }); ok {
		c.Close()
	}
}

// Ready reports whether the server's store can be reached (always, for
// the memory store).
func (s *Server) Ready(ctx context.Context) error { return s.state.Ping(ctx) }
