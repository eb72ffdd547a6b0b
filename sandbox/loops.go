package sandbox

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/internal/httpjson"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/store"
)

// refuseLoops stops postbacks that come back to a sandbox they came
// from. Every request the sandbox sends (impact attempts, Ocean clicks)
// carries mockimpact.HopHeader: the markers of the sandboxes the event
// passed through, this process's last. A request carrying this
// process's marker, or mockimpact.MaxHops of them, is refused with 508
// Loop Detected and mockimpact.LoopHeader, on every route of every
// namespace but the Ocean conversion endpoints: those never send
// anything, so a postback to the sandbox's own Ocean endpoint (the
// README's demonstration) ends there. The markers of a request let
// through go with the events it fires (mockimpact.WithHops), so a
// ping-pong between two sandboxes stops at its second hop.
func (sb *Sandbox) refuseLoops(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values(mockimpact.HopHeader)
		if len(values) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		v := strings.Join(values, ",")
		if reason := mockimpact.LoopReason(v, sb.hop); reason != "" && !httpjson.UploaderPath(r.URL.Path) {
			w.Header().Set(mockimpact.LoopHeader, "refused")
			httpjson.UploaderError(w, r, http.StatusLoopDetected, reason+"; nothing was done")
			return
		}
		next.ServeHTTP(w, r.WithContext(mockimpact.WithHops(r.Context(), mockimpact.ParseHops(v))))
	})
}

// hopTransport sets the sandbox's hop marker on every request it sends.
type hopTransport struct {
	next http.RoundTripper
	hop  string
}

func (t hopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	prev := mockimpact.ParseHops(strings.Join(req.Header.Values(mockimpact.HopHeader), ","))
	prev = append(prev, mockimpact.HopsFromContext(req.Context())...)
	req.Header.Set(mockimpact.HopHeader, mockimpact.HopValue(prev, t.hop))
	return t.next.RoundTrip(req)
}

// hopMarker is a new sandbox's hop marker: a fresh one, or with a
// registry the one its replicas share (the first stored), so that a
// postback any replica sends is refused by all of them when it comes
// back. A registry that does not answer leaves this replica its own:
// loops then stop at mockimpact.MaxHops.
func hopMarker(reg store.Registry, logger *slog.Logger) string {
	mine := mockimpact.NewHopMarker()
	if reg == nil {
		return mine
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := reg.KeepHopMarker(ctx, mine)
	if err != nil || got == "" {
		if logger != nil {
			logger.Warn("the replicas' shared hop marker could not be read: this replica uses its own, and a postback looping through the others stops after "+strconv.Itoa(mockimpact.MaxHops)+" hops", "err", err)
		}
		return mine
	}
	return got
}
