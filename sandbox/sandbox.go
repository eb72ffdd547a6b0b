package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbacksim/postbacksim/api"
	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/inspector"
	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/internal/room"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/store"
)

// Config configures the sandbox. The zero value serves with defaults,
// logs nothing and leaves the admin endpoints open.
type Config struct {
	// Ocean configures each namespace's Ocean Engine emulator; its
	// OnRequest hook is taken over by the sandbox (and then called), and
	// its Store is the namespace's in Store (memory without one).
	Ocean mockocean.Config
	// Impact configures each namespace's impact.com dispatcher; its
	// Configs and Deliveries are the namespace's in Store (memory without
	// one). A nil Clock means the wall clock, sped up TimeScale times.
	// Its Hop is the sandbox's hop marker, on every request it sends and
	// refused on every request it receives (refuseLoops); empty means a
	// new mockimpact.NewHopMarker.
	Impact mockimpact.Options
	// Store keeps the state of every namespace and the registry of
	// namespaces where every replica configured with the same one shares
	// them (redisstore); nil keeps them in this process's memory. With a
	// Store, /readyz answers 503 while it cannot be reached, and so does
	// every endpoint that needs state.
	Store Store
	// TimeScale compresses the impact retry schedule K times (K ≤ 1: real
	// time), for watching retries by hand.
	TimeScale float64
	// AdminToken, when set, is required as "Authorization: Bearer TOKEN"
	// on every /_admin/ endpoint (a namespace's own token also opens the
	// namespace's).
	AdminToken string
	// MaxNamespaces bounds the namespaces under /ns/, however created;
	// 0 means 64.
	MaxNamespaces int
	// OpenNamespaces says whether traffic to an unknown /ns/NAME/ creates
	// the namespace. nil means yes without an AdminToken and no with one:
	// then only POST /_admin/namespaces creates namespaces, and strangers
	// cannot fill the sandbox.
	OpenNamespaces *bool
	// NamespaceTTL removes a namespace (not the default one) that has had
	// no request for this long, checked on Clock; 0 keeps them forever.
	NamespaceTTL time.Duration
	// MetricsToken, when set, is required as "Authorization: Bearer
	// TOKEN" on /metrics (the admin token is accepted too).
	MetricsToken string
	// Logger receives the sandbox's log; nil logs nothing. Without
	// AccessLog it holds requests answered with an HTTP status of 400 or
	// more, admin requests that change state, Ocean fault rules that
	// fired, impact attempts that did not deliver, a traffic summary
	// every SummaryEvery and, with an Ocean.Store, the store's outages:
	// a line when it stops answering, one when it answers again (see
	// Ready).
	Logger *slog.Logger
	// PublicURL is the sandbox's base URL as its clients reach it
	// (https://sandbox.example:8443), for the links of job_completed
	// events; empty means the scheme and Host of the request that fires
	// the event.
	PublicURL string
	// AccessLog adds one line per request (method, path, status, bytes,
	// duration, remote address, namespace, Ocean code, fault) and per
	// delivered impact attempt. It is off
	// by default: at full load, formatting and writing a line per request
	// costs a sixth of the throughput and gigabytes of log an hour.
	AccessLog bool
	// SummaryEvery is how often the log gets a traffic summary (requests,
	// Ocean answers by code, impact attempts by outcome, since the last
	// one; nothing when nothing happened). 0 means a minute; negative,
	// never.
	SummaryEvery time.Duration
	// Pprof serves the runtime profiles under /debug/pprof/, behind the
	// admin token when there is one.
	Pprof bool
	// Clock drives the sandbox's own timers (the summary); nil means the
	// real clock. The impact dispatcher has its own, Impact.Clock.
	Clock clock.Clock
	// LoopbackOnly says the sandbox listens on loopback only: its pages
	// and admin endpoints then refuse requests for another Host, which
	// only a DNS name rebound to 127.0.0.1 would send. serve sets it.
	LoopbackOnly bool
	// ReplicaID names this process in the impact attempts it sends when
	// the deliveries are shared (a Redis store); empty means HOSTNAME:PID.
	ReplicaID string
	// StoreLease is how long (wall time) a replica holds an impact
	// attempt it claimed from the shared schedule: one killed delays its
	// attempts by at most this. 0 means mockimpact.DefaultLease.
	StoreLease time.Duration
	// MemoryBudget bounds what all the namespaces together hold in this
	// process's memory (without a Store): the Ocean journals' requests,
	// the remembered outer_event_ids and the impact deliveries, pending
	// ones included. Past it, the oldest journal entries, remembered ids
	// and ended deliveries go first, whichever namespace holds them
	// (store.Budget); /metrics and the journal stats count them. Each
	// namespace's own caps (Ocean.JournalCapacity, …) still apply. 0
	// means no sandbox-wide bound.
	MemoryBudget int64
	// MaxPendingDeliveries bounds the impact deliveries not yet ended in
	// all the namespaces together, when they are in this process's memory
	// (each namespace has its own bound too, Impact.MaxPending): past it,
	// firing an event answers 409. 0 means DefaultMaxPendingDeliveries.
	MaxPendingDeliveries int
}

// DefaultMaxPendingDeliveries is Config.MaxPendingDeliveries when it is 0.
const DefaultMaxPendingDeliveries = 100_000

// DefaultMaxPendingPerNamespace is each namespace's bound on the impact
// deliveries not yet ended when Config.Impact.MaxPending is 0.
const DefaultMaxPendingPerNamespace = 50_000

// DefaultNamespace names the namespace of the plain paths.
const DefaultNamespace = "default"

// Tenant is one namespace's emulators: its own journals, dedup state,
// fault rules, postback configurations and deliveries.
type Tenant struct {
	Name   string
	Ocean  *mockocean.Server
	Impact *mockimpact.Dispatcher
	// Jobs serves the exports the namespace's job_completed events link
	// to, under /impact/ (mockimpact.JobsPrefix).
	Jobs    *mockimpact.Jobs
	handler http.Handler

	impactAdmin *mockimpact.Admin
	deliveries  *mockimpact.MemoryDeliveries // the impact deliveries, when in memory (nil with a Store)
	tokenHash   []byte                       // SHA-256 of the namespace's own token; nil when it has none
	appSecret   bool                         // it has a v2 app secret of its own
	created     time.Time                    // on the sandbox's clock
	lastUsed    atomic.Int64                 // UnixNano of the last request, on the sandbox's clock
	// With a registry (Redis): when this replica last asked Redis whether
	// the namespace still exists, and last wrote its use there (UnixNano).
	checked, synced atomic.Int64
}

// Sandbox is the composed server.
type Sandbox struct {
	// Ocean and Impact are the default namespace's emulators.
	Ocean  *mockocean.Server
	Impact *mockimpact.Dispatcher

	cfg   Config
	clock clock.Clock
	mu    sync.Mutex
	// tenants holds the namespaces by name: a map never changed once
	// stored, replaced under mu (setTenantLocked, deleteTenantLocked),
	// so that a request finds its namespace without taking mu, which
	// every request to a namespace took before.
	tenants atomic.Pointer[map[string]*Tenant]
	// clickTransport sends Ocean clicks, with the hop marker and under
	// the target policy when there is one.
	clickTransport http.RoundTripper
	// hop is this sandbox's hop marker (Config.Impact.Hop).
	hop string
	// budget bounds what every namespace holds in this process's memory
	// (Config.MemoryBudget).
	budget *store.Budget
	// nextExpiry is when expire next looks for idle namespaces (nil:
	// at once), read without the lock.
	nextExpiry atomic.Pointer[time.Time]
	metrics    *metrics
	handler    http.Handler
	summary    *summary
	served     atomic.Int64 // requests served, for the summary
	// pendingRoom is how many more deliveries admitDelivery lets in
	// before it counts the pending ones again (pending.go).
	pendingRoom room.Room
	pages       *inspector.Inspector
	// reg keeps the namespaces where the replicas share them
	// (Config.Store); nil keeps them in tenants only.
	reg store.Registry
	// impactScale is how much faster than the wall clock the impact
	// clock runs (TimeScale, when the sandbox made the clock).
	impactScale float64
	// epochVal is the scaled clocks' epoch this replica runs on, as Redis
	// holds it ("" without Redis or a scaled clock); watchShared checks
	// that Redis still holds it.
	epochVal string
	// epochSeen is what Redis held at the last check (keepEpoch).
	epochSeen string
	// nonce tells this process's heartbeats (replicas.go) from another's
	// with the same ReplicaID; beating is set once it wrote one, twinSeen
	// once such another was reported.
	nonce             string
	beating, twinSeen bool
	// wallClock is set on Redis when the impact clock is the wall
	// clock's (no --time-scale): keepEpoch warns if scaled replicas join.
	wallClock bool
	// stop is closed by Close: the background checks end.
	stop      chan struct{}
	closeOnce sync.Once
	// closed is set by Close, under mu: no namespace is opened after it
	// (a check of the watcher or a request under way would start a
	// dispatcher polling Redis that nothing closes).
	closed bool
	// removals counts the namespaces this replica removed (under mu): a
	// check of the watcher that read the names before one does not open
	// it again from its stale list.
	removals int64
	// watch logs the store's outages (a store and a logger); nil without.
	watch *storeWatch
	// checksStarted and checksDone count the rounds of the shared checks
	// (watchShared); checked is closed at the start and end of each.
	checksMu                  sync.Mutex
	checksStarted, checksDone int64
	checked                   chan struct{}
}

// New builds the sandbox.
func New(cfg Config) *Sandbox {
	var reg store.Registry
	if cfg.Store != nil {
		reg = cfg.Store.Registry()
	}
	scale := 1.0   // of the impact clock, against the wall clock
	epochVal := "" // with Redis and a scaled clock: the epoch the replicas share
	if cfg.Impact.Clock == nil && cfg.TimeScale > 1 {
		scale = cfg.TimeScale
		cfg.Impact.Clock = clock.NewScaled(cfg.TimeScale)
		if reg != nil { // the replicas' schedules must agree: a common epoch
			var at time.Time
			at, epochVal = epoch(reg, cfg.TimeScale, cfg.Logger)
			cfg.Impact.Clock = clock.NewScaledFrom(at, cfg.TimeScale)
		}
	}
	wallClock := reg != nil && cfg.Impact.Clock == nil // the sandbox's impact clock, unscaled
	if cfg.ReplicaID == "" {
		host, _ := os.Hostname()
		cfg.ReplicaID = host + ":" + strconv.Itoa(os.Getpid())
	}
	if cfg.MaxNamespaces <= 0 {
		cfg.MaxNamespaces = 64
	}
	budget := store.NewBudget(cfg.MemoryBudget)
	if cfg.Impact.MaxPending == 0 {
		cfg.Impact.MaxPending = DefaultMaxPendingPerNamespace
	}
	if cfg.Impact.Hop == "" {
		cfg.Impact.Hop = hopMarker(reg, cfg.Logger)
	}
	sb := &Sandbox{cfg: cfg, clock: cfg.Clock, reg: reg, impactScale: scale, epochVal: epochVal, wallClock: wallClock, stop: make(chan struct{}),
		nonce: strconv.FormatInt(rand.Int64(), 36), hop: cfg.Impact.Hop, budget: budget}
	if sb.clock == nil {
		sb.clock = clock.Real{}
	}
	// POST /_admin/ocean/clicks sends requests too: same policy, same
	// marker.
	var clicks http.RoundTripper = http.DefaultTransport
	if p := cfg.Impact.TargetPolicy; p.Enabled() {
		clicks = mockimpact.NewLiveTransportWith(mockimpact.LiveOptions{Policy: p})
	}
	sb.clickTransport = hopTransport{next: clicks, hop: sb.hop}
	sb.metrics = newMetrics(sb)
	sb.pages = inspector.New(inspector.Options{TokenAccepted: sb.TokenAccepted, CSRFToken: CSRFToken,
		CookieName: TokenCookie, CSRFField: CSRFField, Clock: cfg.Clock, TimeScale: scale})
	def := sb.newTenant(DefaultNamespace, "")
	sb.tenants.Store(&map[string]*Tenant{DefaultNamespace: def})
	sb.Ocean, sb.Impact = def.Ocean, def.Impact

	mux := http.NewServeMux()
	health := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	}
	mux.HandleFunc("GET /healthz", health)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := sb.Ready(r.Context()); err != nil {
			w.Header().Set("Retry-After", "1")
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
			return
		}
		health(w, r)
	})
	mux.Handle("GET /metrics", sb.requireMetricsToken(sb.metrics.handler()))
	mux.HandleFunc("GET "+api.Path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(api.OpenAPI())
	})
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { // other methods
			w.Header().Set("Allow", "GET, HEAD")
			httpjson.MethodNotAllowed(w, r)
		})
	}
	mux.HandleFunc(NamespacesPath, sb.serveNamespaces)
	mux.HandleFunc(NamespacesPath+"/", sb.serveNamespaces)
	if cfg.Pprof {
		handlePprof(mux)
	}
	mux.HandleFunc("/ns/", sb.serveNamespace)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		def.handler.ServeHTTP(w, sb.withPublicBase(r, ""))
	}))
	// The conversion endpoints of the default namespace, the hot path,
	// skip the two routers (whose matching allocates): the same handler
	// the tenant's router gives them.
	sb.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == mockocean.ActivatePath || p == mockocean.V2Path:
			def.Ocean.ServeHTTP(w, r)
			return
		case strings.HasPrefix(p, "/ns/") && (strings.HasSuffix(p, mockocean.ActivatePath) || strings.HasSuffix(p, mockocean.V2Path)) &&
			!strings.Contains(p, "//") && !strings.Contains(p, "/."):
			sb.serveNamespace(w, r) // a clean path: what the router would do
			return
		}
		mux.ServeHTTP(w, r)
	})
	sb.handler = sb.requireToken(sb.handler) // namespace tokens apply even without an admin token
	sb.handler = sb.guardBrowsers(sb.handler)
	sb.handler = sb.refuseLoops(sb.handler)
	if cfg.Logger != nil {
		if cfg.AccessLog {
			sb.handler = logRequests(cfg.Logger, sb.handler)
		} else {
			sb.handler = logErrors(cfg.Logger, sb.handler)
		}
		sb.summary = startSummary(sb)
		if cfg.Store != nil {
			sb.watch = startStoreWatch(sb)
		}
	}
	sb.handler = countRequests(&sb.served, sb.handler)
	if reg != nil {
		sb.watchShared()
	}
	return sb
}

// readyTimeout bounds the store check of /readyz.
const readyTimeout = 2 * time.Second

// Ready reports whether the sandbox can serve: whether its store (Redis,
// when Config.Ocean.Store is one) answers. With a store and a Logger, the
// sandbox makes this check every second of its clock too, and logs
// "state store unavailable" once when a check first fails and "state
// store available again" once when one succeeds after.
func (sb *Sandbox) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if sb.watch != nil {
		return sb.watch.run(ctx)
	}
	if sb.cfg.Store == nil {
		return nil
	}
	return sb.cfg.Store.Ping(ctx)
}

func (sb *Sandbox) newTenant(name, appSecret string) *Tenant {
	oc := sb.cfg.Ocean
	if appSecret != "" {
		oc.AppSecret = appSecret // the namespace's own, over the sandbox's
	}
	if oc.ClickTransport == nil {
		oc.ClickTransport = sb.clickTransport
	} else {
		oc.ClickTransport = hopTransport{next: oc.ClickTransport, hop: sb.hop}
	}
	io := sb.cfg.Impact
	// memory, each namespace its own, all under the sandbox's budget
	var deliveries *mockimpact.MemoryDeliveries
	oc.Store, io.Configs, io.Deliveries = mockocean.MemoryStore{Budget: sb.budget}, nil, nil
	if st := sb.cfg.Store; st != nil {
		oc.Store = st.Ocean(name)
		if oc.Replica == "" {
			oc.Replica = sb.cfg.ReplicaID // the journal is shared: say who answered
		}
		// So are the postback configurations and the deliveries: any
		// replica sends the attempts due.
		io.Configs = st.ImpactConfigs(name)
		io.Deliveries = st.ImpactDeliveries(name, mockimpact.ScheduleOptions{Replica: sb.cfg.ReplicaID, Lease: sb.cfg.StoreLease, Scale: sb.impactScale})
	} else {
		deliveries = mockimpact.NewMemoryDeliveriesIn(sb.budget)
		io.Deliveries = deliveries
		io.Admit = sb.admitDelivery
	}
	oc.CallbackKey = NamespaceKey(oc.CallbackKey, name)
	userHook := oc.OnRequest
	counters := sb.metrics.oceanCountersFor(name)
	oc.OnRequest = func(ctx context.Context, r mockocean.Request) {
		counters.inc(r)
		if n, ok := ctx.Value(noteKey{}).(*note); ok {
			n.oceanCode, n.hasCode, n.fault = r.Code, r.Status == http.StatusOK && r.Fault == "", r.Fault
		}
		if r.Fault != "" && sb.cfg.Logger != nil && !sb.cfg.AccessLog {
			logFault(ctx, sb.cfg.Logger, name, r)
		}
		if userHook != nil {
			userHook(ctx, r)
		}
	}
	userAttempt := io.OnAttempt
	feed := inspector.NewFeed(0)
	attempts := sb.metrics.impactMetricsFor(name)
	io.OnAttempt = func(a mockimpact.Attempt) {
		feed.Add(a)
		attempts.count(a)
		if sb.cfg.Logger != nil && (sb.cfg.AccessLog || a.Outcome != mockimpact.OutcomeDelivered || a.TakenOverFrom != "") {
			logAttempt(sb.cfg.Logger, name, a)
		}
		if userAttempt != nil {
			userAttempt(a)
		}
	}
	t := &Tenant{Name: name, Ocean: mockocean.New(oc), Impact: mockimpact.NewDispatcher(io), created: sb.now(), deliveries: deliveries}
	t.lastUsed.Store(t.created.UnixNano())
	t.Jobs = mockimpact.NewJobs(t.Impact.Clock(), 0)
	mux := http.NewServeMux()
	t.impactAdmin = mockimpact.NewAdmin(t.Impact, mockimpact.WithJobs(t.Jobs))
	mux.Handle(mockimpact.AdminPrefix+"/", t.impactAdmin)
	base := ""
	if name != DefaultNamespace {
		base = "/ns/" + name
	}
	sb.pages.Mount(mux, &inspector.Tenant{Name: name, Base: base, Ocean: t.Ocean, Impact: t.Impact, Feed: feed, ImpactAdmin: t.impactAdmin})
	mux.Handle(mockimpact.JobsPrefix, t.Jobs)
	mux.Handle("/", t.Ocean) // /track/activate/, /_admin/ocean/, and JSON 404s
	t.handler = mux
	return t
}

var namespaceRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// validNamespace is namespaceRE.MatchString, without the regexp engine on
// every request to a namespace (a test keeps the two in agreement).
func validNamespace(name string) bool {
	if len(name) == 0 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// CheckNamespace reports whether name can name a namespace: 1 to 63
// characters of a-z, 0-9, - and _, the first a letter or digit (so a
// name is a DNS label, a Prometheus label value and a path segment as
// it is).
func CheckNamespace(name string) error {
	if !validNamespace(name) {
		return fmt.Errorf("namespace %q: want 1–63 of a-z, 0-9, - and _, starting with a letter or digit", name)
	}
	return nil
}

// Namespace returns the named namespace, creating it (without a token
// of its own) if it does not exist, whatever OpenNamespaces says: it is
// the Go API's. HTTP traffic creates namespaces only when
// OpenNamespaces allows. With a Redis store, the namespace is created
// there, for every replica.
func (sb *Sandbox) Namespace(ctx context.Context, name string) (*Tenant, error) {
	if err := CheckNamespace(name); err != nil {
		return nil, err
	}
	if sb.reg != nil {
		return sb.sharedNamespace(ctx, name)
	}
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if t, ok := sb.tenantMap()[name]; ok {
		return t, nil
	}
	if err := sb.roomLocked(name); err != nil {
		return nil, err
	}
	t := sb.newTenant(name, "")
	sb.setTenantLocked(name, t)
	return t, nil
}

func (sb *Sandbox) tenantList() []*Tenant {
	m := sb.tenantMap()
	out := make([]*Tenant, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// serveNamespace routes /ns/{name}/… to the namespace with the prefix
// stripped.
func (sb *Sandbox) serveNamespace(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/ns/")
	name, sub, _ := strings.Cut(rest, "/")
	t, ok := sb.find(w, r, name, "/"+sub)
	if !ok {
		return
	}
	if t == nil {
		if !sb.openNamespaces() {
			unknownNamespace(w, r, name)
			return
		}
		var err error
		if t, err = sb.Namespace(r.Context(), name); err != nil {
			if errors.Is(err, store.ErrUnavailable) {
				httpjson.Unavailable(w, r, err)
				return
			}
			httpjson.UploaderError(w, r, http.StatusBadRequest, err.Error())
			return
		}
	}
	sb.touch(t)
	if n, ok := r.Context().Value(noteKey{}).(*note); ok {
		n.namespace = name
	}
	// A shallow copy with its own URL, as http.StripPrefix makes: the
	// handlers read the request, none changes it. The path left is the
	// end of the one received ("/"+sub), not a new string; "/" for the
	// namespace's own path without its slash.
	path := r.URL.Path[len("/ns/")+len(name):]
	if path == "" {
		path = "/"
	}
	if path == mockocean.ActivatePath || path == mockocean.V2Path {
		// The hot path skips the tenant's router, as the root's does,
		// with a copy from a pool: the Ocean handler keeps nothing of
		// the request once it has answered.
		c := strippedRequests.Get().(*strippedRequest)
		c.strip(r, path)
		t.Ocean.ServeHTTP(w, &c.r)
		*c = strippedRequest{}
		strippedRequests.Put(c)
		return
	}
	c := new(strippedRequest)
	c.strip(r, path)
	t.handler.ServeHTTP(w, sb.withPublicBase(&c.r, "/ns/"+name))
}

// strippedRequest is a request with the namespace prefix stripped from
// its path, and its own URL.
type strippedRequest struct {
	r http.Request
	u url.URL
}

func (c *strippedRequest) strip(r *http.Request, path string) {
	c.r, c.u = *r, *r.URL
	c.u.Path, c.u.RawPath = path, ""
	c.r.URL = &c.u
}

var strippedRequests = sync.Pool{New: func() any { return new(strippedRequest) }}

// withPublicBase gives the impact admin requests, which fire events whose
// links point at the sandbox, the sandbox's base URL (plus the namespace
// path); the others go on as they are, at no cost.
func (sb *Sandbox) withPublicBase(r *http.Request, nsPath string) *http.Request {
	if !strings.HasPrefix(r.URL.Path, mockimpact.AdminPrefix) {
		return r
	}
	return r.WithContext(mockimpact.WithPublicBase(r.Context(), sb.origin(r)+nsPath))
}

// origin is the sandbox's base URL for links it hands out: PublicURL,
// or the scheme and Host r was sent to.
func (sb *Sandbox) origin(r *http.Request) string {
	if sb.cfg.PublicURL != "" {
		return strings.TrimSuffix(sb.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Close stops every namespace's dispatcher, the log summary and the
// store's checks; it returns how many pending deliveries were cancelled
// (they stay in the journals). With a Redis store none are: pending
// deliveries stay pending in Redis, for the other replicas.
func (sb *Sandbox) Close() int {
	sb.closeOnce.Do(func() { close(sb.stop) })
	sb.mu.Lock()
	sb.closed = true
	sb.mu.Unlock()
	if sb.reg != nil {
		sb.leave()
	}
	sb.summary.stop()
	sb.watch.stop()
	n := 0
	for _, t := range sb.tenantList() {
		n += t.Impact.Close()
	}
	return n
}

// HeldBytes is the memory the sandbox accounts for what it keeps in this
// process: every namespace's Ocean journal (its requests as received),
// duplicate filter and impact deliveries, as charged on its memory budget
// (Config.MemoryBudget). serve keeps the garbage collector's soft limit
// near it. It is 0 when a store such as Redis holds them.
func (sb *Sandbox) HeldBytes() int64 { return sb.budget.Stats().Held }

// MemoryStats are the figures of the sandbox's memory budget.
func (sb *Sandbox) MemoryStats() store.BudgetStats { return sb.budget.Stats() }

// ServeHTTP serves every sandbox endpoint.
func (sb *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { sb.handler.ServeHTTP(w, r) }

func isAdminPath(p string) bool {
	if strings.HasPrefix(p, pprofPrefix) {
		return true
	}
	if p == api.Path { // the description: it holds no data
		return false
	}
	if rest, ok := strings.CutPrefix(p, "/ns/"); ok {
		_, sub, _ := strings.Cut(rest, "/")
		return strings.HasPrefix(sub, "_admin/") // "/"+sub under /_admin/, no string made
	}
	return strings.HasPrefix(p, "/_admin/")
}
