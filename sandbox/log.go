package sandbox

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

type noteKey struct{}

// note collects what the emulators say about a request, for its log line.
type note struct {
	namespace string
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
			if n.namespace != "" {
				attrs = append(attrs, slog.String("namespace", n.namespace))
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

// statusWriters recycles the writers of logErrors: the default log
// looks at every answer's status but writes few lines.
var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// logErrors writes a line for the requests worth a look without the
// access log: answered with an HTTP status of 400 or more, or admin
// requests that change state. The others cost a pooled writer and a
// clock read.
func logErrors(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := statusWriters.Get().(*statusWriter)
		*sw = statusWriter{ResponseWriter: w}
		defer func() {
			status, bytes := sw.status, sw.bytes
			*sw = statusWriter{}
			statusWriters.Put(sw)
			p := recover()
			if status < http.StatusBadRequest && p == nil && !isAdminWrite(r) {
				return
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Int("bytes", bytes),
				slog.Duration("duration", time.Since(start)), slog.String("remote", r.RemoteAddr),
			}
			if p != nil {
				attrs = append(attrs, slog.String("aborted", "connection dropped"))
			}
			level := slog.LevelInfo
			if status >= http.StatusInternalServerError {
				level = slog.LevelWarn
			}
			log.LogAttrs(r.Context(), level, "request", attrs...)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// isAdminWrite reports whether r changes the sandbox's state through an
// admin endpoint.
func isAdminWrite(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && isAdminPath(r.URL.Path)
}

// logFault writes a line for an Ocean request that a fault rule shaped.
func logFault(ctx context.Context, log *slog.Logger, namespace string, r mockocean.Request) {
	attrs := []slog.Attr{slog.String("namespace", namespace), slog.String("fault", r.Fault), slog.Uint64("seq", r.Seq), slog.Int("status", r.Status)}
	if r.Status == http.StatusOK {
		attrs = append(attrs, slog.Int("code", r.Code))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "ocean fault", attrs...)
}

// countRequests counts every request served.
func countRequests(n *atomic.Int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		next.ServeHTTP(w, r)
	})
}

// logAttempt writes a line for an impact delivery attempt, naming its
// namespace: delivery ids restart in each one.
func logAttempt(log *slog.Logger, namespace string, a mockimpact.Attempt) {
	attrs := []slog.Attr{slog.String("namespace", namespace), slog.String("delivery", a.DeliveryID),
		slog.String("event", a.Event), slog.Int("n", a.N), slog.String("outcome", string(a.Outcome))}
	if a.Status != 0 {
		attrs = append(attrs, slog.Int("status", a.Status))
	}
	if a.Error != "" {
		attrs = append(attrs, slog.String("error", a.Error))
	}
	attrs = append(attrs, slog.Bool("retry", a.Retry))
	level := slog.LevelInfo
	if !a.Retry && a.Outcome != mockimpact.OutcomeDelivered {
		level = slog.LevelWarn // the delivery ended without being delivered
	}
	if a.TakenOverFrom != "" {
		// The replica that claimed it first may have sent it too.
		attrs = append(attrs, slog.String("taken_over_from", a.TakenOverFrom))
		level = slog.LevelWarn
	}
	log.LogAttrs(context.Background(), level, "impact attempt", attrs...)
}
