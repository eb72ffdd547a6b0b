package mockimpact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Resolver resolves host names. *net.Resolver satisfies it; tests inject
// one that fails for chosen hosts.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Transport sends one HTTP request and returns the response, following no
// redirects. http.RoundTripper satisfies it.
type Transport interface {
	RoundTrip(req *http.Request) (*http.Response, error)
}

// Simulator is a Transport that can also simulate an exchange on a
// virtual clock: it returns the result at once and says how long the
// exchange would have taken. A result that would take timeout or longer
// must be an error wrapping ErrTimeout, with latency = timeout.
type Simulator interface {
	Transport
	Simulate(req *http.Request, timeout time.Duration) (resp *http.Response, latency time.Duration, err error)
}

// AttemptInfo identifies the attempt a request belongs to. The dispatcher
// puts it in every request's context, so a scripted receiver can answer
// attempt by attempt.
type AttemptInfo struct {
	DeliveryID string
	Event      string
	// N counts attempts from 1.
	N int
}

type attemptKey struct{}

// AttemptFromContext returns the attempt a request belongs to.
func AttemptFromContext(ctx context.Context) (AttemptInfo, bool) {
	a, ok := ctx.Value(attemptKey{}).(AttemptInfo)
	return a, ok
}

// WithAttempt returns ctx carrying a.
func WithAttempt(ctx context.Context, a AttemptInfo) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

type resolvedKey struct{}

// attemptContext is the context of one attempt's request: its
// AttemptInfo, and the addresses the dispatcher resolved (read by the
// live transport's dialer), in one value.
type attemptContext struct {
	context.Context
	info       AttemptInfo
	resolved   resolved
	isResolved bool
}

func (c *attemptContext) Value(key any) any {
	switch key.(type) {
	case attemptKey:
		return c.info
	case resolvedKey:
		if c.isResolved {
			return c.resolved
		}
	}
	return c.Context.Value(key)
}

type resolved struct {
	host  string
	addrs []string
}

// NewLiveTransport returns the transport for real sending: it dials the
// addresses the dispatcher's Resolver returned (so an injected resolver
// decides where traffic goes), keeps connections alive, and follows no
// redirects. It applies no target policy: NewLiveTransportWith does.
func NewLiveTransport() *http.Transport { return NewLiveTransportWith(LiveOptions{}) }

// DialFunc opens a connection to an "ip:port" address;
// (*net.Dialer).DialContext is one. Tests inject one that records the
// addresses instead of connecting.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// LiveOptions configures NewLiveTransportWith.
type LiveOptions struct {
	// Policy, when enabled, is checked on every address just before it
	// is dialed (and, with the default dialer, again by the socket's
	// Control hook): a refusal is a *BlockedTargetError.
	Policy *TargetPolicy
	// Dial connects; nil means a net.Dialer (10 s connect timeout, 30 s
	// keep-alive) carrying Policy.Control.
	Dial DialFunc
}

// NewLiveTransportWith is NewLiveTransport with a target policy and an
// injectable dialer.
func NewLiveTransportWith(o LiveOptions) *http.Transport {
	policy := o.Policy
	dial := o.Dial
	if dial == nil {
		dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		if policy.Enabled() {
			dialer.Control = policy.Control
		}
		dial = dialer.DialContext
	}
	// dialIP checks one resolved address and dials it.
	dialIP := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := policy.CheckHostPort(addr); err != nil {
			return nil, err
		}
		return dial(ctx, network, addr)
	}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, fmt.Errorf("dialing %s: %w", addr, err)
			}
			if r, ok := ctx.Value(resolvedKey{}).(resolved); ok && len(r.addrs) > 0 && host == r.host {
				var firstErr error
				for _, ip := range r.addrs {
					c, err := dialIP(ctx, network, net.JoinHostPort(ip, port))
					if err == nil {
						return c, nil
					}
					if firstErr == nil {
						firstErr = err
					}
				}
				return nil, firstErr
			}
			if _, err := netip.ParseAddr(host); err == nil || !policy.Enabled() {
				return dialIP(ctx, network, addr)
			}
			if o.Dial != nil {
				// an injected dialer would resolve on its own: the policy
				// could not see the address, so nothing is dialed.
				return nil, &BlockedTargetError{Reason: fmt.Sprintf("host %q was not resolved by the dispatcher", host)}
			}
			return dial(ctx, network, addr) // the dialer resolves; its Control hook checks each address
		},
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
}

// maxMatchBody bounds how much of a response body is read to match the
// success and error texts.
const maxMatchBody = 64 << 10

// sendLive sends req through t with a deadline of timeout, and reads up
// to maxMatchBody of the answer into a buffer from bodies (putBody gives
// it back; nil when nothing was read). Network I/O deadlines run on the
// wall clock on purpose: they bound real sockets, whatever clock
// schedules the attempts.
func sendLive(t Transport, req *http.Request, timeout time.Duration) (status int, header http.Header, body *bytes.Buffer, latency time.Duration, err error) {
	ctx, cancel := context.WithTimeout(req.Context(), timeout)
	defer cancel()
	start := time.Now()
	resp, err := t.RoundTrip(req.WithContext(ctx))
	if err == nil {
		status, header = resp.StatusCode, resp.Header
		body, err = readBody(resp) // the rest is drained, so that the connection is reused
	}
	latency = time.Since(start)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = errors.Join(ErrTimeout, err)
	}
	return status, header, body, latency, err
}

// bodies are the buffers answers are read into, up to maxMatchBody each.
// A buffer goes back once its attempt is journaled: the exchange reads
// the body until then, and keeps only a copy of its excerpt.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads up to maxMatchBody of resp's body into a buffer from
// bodies, drains up to 1 MiB more (a connection is reused once its body
// is read to the end), and closes it.
func readBody(resp *http.Response) (*bytes.Buffer, error) {
	defer resp.Body.Close()
	buf := bodies.Get().(*bytes.Buffer)
	buf.Reset()
	limited := io.LimitedReader{R: resp.Body, N: maxMatchBody}
	_, err := buf.ReadFrom(&limited)
	if err == nil {
		limited.N = 1 << 20
		_, _ = io.Copy(io.Discard, &limited)
	}
	return buf, err
}

// bodyBytes is what buf holds; nothing for a nil one.
func bodyBytes(buf *bytes.Buffer) []byte {
	if buf == nil {
		return nil
	}
	return buf.Bytes()
}

// putBody gives buf back to bodies, unless it grew past what an answer
// usually takes.
func putBody(buf *bytes.Buffer) {
	if buf != nil && buf.Cap() <= 4<<10 {
		bodies.Put(buf)
	}
}
