// Package sandbox composes the emulators into the one HTTP server that
// `postbacksim serve` runs: health endpoints, request logging, the Ocean
// Engine emulator and the impact.com dispatcher's admin API.
package sandbox

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

// Config configures the sandbox. The zero value serves with defaults and
// logs nothing.
type Config struct {
	// Ocean configures the Ocean Engine emulator; its OnRequest hook is
	// taken over by the sandbox.
	Ocean mockocean.Config
	// Impact configures the impact.com dispatcher (clock, transport,
	// resolver). A nil Clock means the wall clock, sped up TimeScale times.
	Impact mockimpact.Options
	// TimeScale compresses the impact retry schedule K times (K ≤ 1: real
	// time), for watching retries by hand.
	TimeScale float64
	// Logger receives one line per request; nil logs nothing.
	Logger *slog.Logger
}

// Sandbox is the composed server.
type Sandbox struct {
	// Ocean is the Ocean Engine emulator.
	Ocean *mockocean.Server
	// Impact delivers impact.com postbacks.
	Impact  *mockimpact.Dispatcher
	handler http.Handler
}

// New builds the sandbox.
func New(cfg Config) *Sandbox {
	userHook := cfg.Ocean.OnRequest
	cfg.Ocean.OnRequest = func(ctx context.Context, r mockocean.Request) {
		if n, ok := ctx.Value(noteKey{}).(*note); ok {
			n.oceanCode, n.hasCode, n.fault = r.Code, r.Status == http.StatusOK && r.Fault == "", r.Fault
		}
		if userHook != nil {
			userHook(ctx, r)
		}
	}
	if cfg.Impact.Clock == nil && cfg.TimeScale > 1 {
		cfg.Impact.Clock = clock.NewScaled(cfg.TimeScale)
	}
	sb := &Sandbox{Ocean: mockocean.New(cfg.Ocean), Impact: mockimpact.NewDispatcher(cfg.Impact)}
	mux := http.NewServeMux()
	health := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	}
	mux.HandleFunc("GET /healthz", health)
	mux.HandleFunc("GET /readyz", health)
	mux.Handle(mockimpact.AdminPrefix+"/", mockimpact.NewAdmin(sb.Impact))
	mux.Handle("/", sb.Ocean) // /track/activate/, /_admin/ocean/, and JSON 404s
	sb.handler = mux
	if cfg.Logger != nil {
		sb.handler = logRequests(cfg.Logger, mux)
	}
	return sb
}

// Close stops the impact dispatcher; it returns how many pending
// deliveries were cancelled (they stay in the journal).
func (sb *Sandbox) Close() int { return sb.Impact.Close() }

// ServeHTTP serves every sandbox endpoint.
func (sb *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { sb.handler.ServeHTTP(w, r) }

type noteKey struct{}

// note collects what the emulators say about a request, for its log line.
type note struct {
	oceanCode int
	hasCode   bool
	fault     string
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one log line per request. Time here is measured on
// the wall clock on purpose: it reports real latency.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		n := &note{}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			attrs := []slog.Attr{
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)), slog.String("remote", r.RemoteAddr),
			}
			if n.hasCode {
				attrs = append(attrs, slog.Int("code", n.oceanCode))
			}
			if n.fault != "" {
				attrs = append(attrs, slog.String("fault", n.fault))
			}
			if p := recover(); p != nil {
				attrs = append(attrs, slog.String("aborted", "connection dropped"))
				log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
				panic(p)
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), noteKey{}, n)))
	})
}
