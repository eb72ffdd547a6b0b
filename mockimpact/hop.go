package mockimpact

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// HopHeader is the header on which a dispatcher with a hop marker
// (Options.Hop) names, on every request it sends, the sandboxes the event
// passed through: the markers of the requests that fired it
// (Delivery.Hops), then its own, comma-separated. A sandbox refuses any
// request that carries its own marker, and any request that has made
// MaxHops hops, so a postback pointed back at a sandbox (its own admin
// API, another replica's, through any address or port mapping) stops
// instead of multiplying.
const HopHeader = "X-Postbacksim-Hop"

// LoopHeader is set on the answer a sandbox gives a request it refused as
// a loop (HTTP 508). A dispatcher that gets such an answer records the
// attempt as blocked_target, reason self: it is not retried.
const LoopHeader = "X-Postbacksim-Loop"

// MaxHops is how many sandboxes a chain of postbacks may pass through: a
// request whose HopHeader names this many markers is refused.
const MaxHops = 8

// NewHopMarker returns a fresh random marker for one process.
func NewHopMarker() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ParseHops reads the markers of a HopHeader value (empty names dropped;
// at most MaxHops+1 kept: more only say it is too long).
func ParseHops(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
			if len(out) > MaxHops {
				break
			}
		}
	}
	return out
}

// LoopReason says why a request whose HopHeader is v is refused by the
// sandbox whose marker is self, or "" when it is not.
func LoopReason(v, self string) string {
	hops := ParseHops(v)
	for _, h := range hops {
		if self != "" && h == self {
			return "loop detected: this request was sent by this sandbox (" + HopHeader + " carries its own marker)"
		}
	}
	if len(hops) >= MaxHops {
		return "loop detected: this request has passed through " + HopHeader + "'s limit of sandboxes"
	}
	return ""
}

type hopsKey struct{}

// WithHops returns ctx carrying the hop markers of the request that
// fires events: Dispatcher.Fire keeps them in the delivery
// (Delivery.Hops), and every attempt sends them on.
func WithHops(ctx context.Context, hops []string) context.Context {
	if len(hops) == 0 {
		return ctx
	}
	return context.WithValue(ctx, hopsKey{}, hops)
}

// HopsFromContext returns the markers WithHops put in ctx.
func HopsFromContext(ctx context.Context) []string {
	h, _ := ctx.Value(hopsKey{}).([]string)
	return h
}

// HopValue is the HopHeader value of a request sent by the sandbox whose
// marker is self for an event that came through hops.
func HopValue(hops []string, self string) string {
	if self == "" {
		return strings.Join(hops, ", ")
	}
	return strings.Join(append(hops[:len(hops):len(hops)], self), ", ")
}

// loopRefusal returns the refusal of an answer by which a sandbox refused
// the attempt as a loop (HTTP 508 with LoopHeader), else nil.
func loopRefusal(status int, h http.Header) error {
	if status != http.StatusLoopDetected || h.Get(LoopHeader) == "" {
		return nil
	}
	return &BlockedTargetError{Reason: ReasonSelf + ": the target answered that this postback looped back to a sandbox it came from (" + LoopHeader + ")"}
}
