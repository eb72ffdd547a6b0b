package mockimpact

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
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

type resolved struct {
	host  string
	addrs []string
}

// NewLiveTransport returns the transport for real sending: it dials the
// addresses the dispatcher's Resolver returned (so an injected resolver
// decides where traffic goes), keeps connections alive, and follows no
// redirects.
func NewLiveTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if r, ok := ctx.Value(resolvedKey{}).(resolved); ok && len(r.addrs) > 0 {
				host, port, err := net.SplitHostPort(addr)
				if err == nil && host == r.host {
					var firstErr error
					for _, ip := range r.addrs {
						c, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip, port))
						if err == nil {
							return c, nil
						}
						if firstErr == nil {
							firstErr = err
						}
					}
					return nil, firstErr
				}
			}
			return dialer.DialContext(ctx, network, addr)
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

// sendLive sends req through t with a deadline of timeout. Network I/O
// deadlines run on the wall clock on purpose: they bound real sockets,
// whatever clock schedules the attempts.
func sendLive(t Transport, req *http.Request, timeout time.Duration) (status int, body []byte, latency time.Duration, err error) {
	ctx, cancel := context.WithTimeout(req.Context(), timeout)
	defer cancel()
	start := time.Now()
	resp, err := t.RoundTrip(req.WithContext(ctx))
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxMatchBody))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
		resp.Body.Close()
		status = resp.StatusCode
	}
	latency = time.Since(start)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = errors.Join(ErrTimeout, err)
	}
	return status, body, latency, err
}

// readSome reads a simulated response body up to the matching limit.
func readSome(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, maxMatchBody))
}
