// Package redisstore keeps postbacksim's state in Redis, shared by every
// replica of a sandbox on the same Redis and prefix: each namespace's
// Ocean state (mockocean.State: duplicate filter, journal, fault rules),
// its impact postback configurations (mockimpact.ConfigStore) and
// deliveries (mockimpact.DeliveryStore), and the sandbox's registry
// (store.Registry: namespaces, replica heartbeats, the scaled clocks'
// epoch).
//
// It is the only package of the module that imports a Redis client: the
// emulators and their test helpers define the interfaces and keep their
// state in memory by default. The keys are listed in docs/sandbox.md.
//
//	st, err := redisstore.Open(redisstore.Options{URL: "redis://127.0.0.1:6379/0"})
//	if err != nil { … }
//	defer st.Close()
//	sb := sandbox.New(sandbox.Config{Store: st})
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/postbacksim/postbacksim/store"
)

// DefaultPrefix starts every key when Options.Prefix is empty.
const DefaultPrefix = "postbacksim:"

// DefaultIdleTTL is how long a namespace's keys outlive its last write
// when Options.IdleTTL is 0: an abandoned sandbox does not grow Redis
// for ever.
const DefaultIdleTTL = 7 * 24 * time.Hour

// Options configures Open.
type Options struct {
	// URL is redis://[user:password@]host:port/db, or rediss:// for TLS.
	URL string
	// Prefix starts every key; empty means DefaultPrefix. Replicas that
	// share a sandbox use the same one.
	Prefix string
	// IdleTTL is how long a namespace's journal, fault rules, postback
	// configurations and deliveries, and the registry, are kept after
	// their last change; 0 means DefaultIdleTTL. (Remembered
	// outer_event_ids are kept for the duplicate filter's TTL.)
	IdleTTL time.Duration
}

// Store is a Redis holding the state of a sandbox's replicas. It is safe
// for concurrent use; every namespace's state shares its connections.
type Store struct {
	client *redis.Client
	// hot sends the fault rules' look-ups and claims: concurrent
	// requests' commands go to Redis together, in one write (a lone one
	// is sent at once). Recording a request goes through its state's
	// batcher.
	hot     *redis.AutoPipeliner
	base    string // Options.Prefix
	idleTTL time.Duration
	// clock gives the scripts that record requests their deadline, on
	// Redis's clock (deadline.go).
	clock *redisClock
}

// Open connects to the Redis named by o.URL lazily: it checks the URL,
// not that Redis answers (Ping does). A URL it refuses is a *URLError.
func Open(o Options) (*Store, error) {
	if err := CheckURL(o.URL); err != nil {
		return nil, err
	}
	opt, err := redis.ParseURL(o.URL)
	if err != nil { // CheckURL has seen this error; a guard
		return nil, &URLError{URL: Redact(o.URL), Problem: strings.TrimPrefix(err.Error(), "redis: ")}
	}
	// No retries: a script that timed out may have run, and running it
	// again would answer a duplicate to a request seen once. The client
	// gets HTTP 503 and retries itself.
	opt.MaxRetries = -1
	// One dial attempt: with Redis down, a request is answered 503 at
	// once (its client retries), not after five attempts 100 ms apart.
	opt.DialerRetries = 1
	opt.DialTimeout = 2 * time.Second
	opt.ReadTimeout = readTimeout
	opt.WriteTimeout = 2 * time.Second
	opt.PoolSize = max(opt.PoolSize, 128)
	if opt.Protocol == 0 {
		// RESP2 unless the URL asks (?protocol=3): the store uses nothing
		// of RESP3, and go-redis then skips its look for push
		// notifications before every reply, a tenth of its cost per call.
		opt.Protocol = 2
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.IdleTTL <= 0 {
		o.IdleTTL = DefaultIdleTTL
	}
	s := &Store{client: redis.NewClient(opt), base: o.Prefix, idleTTL: o.IdleTTL}
	s.clock = &redisClock{s: s, now: time.Now}
	ap, err := s.client.AutoPipeline()
	if err != nil {
		_ = s.client.Close()
		return nil, fmt.Errorf("store %s: pipelining: %w", Redact(o.URL), err)
	}
	s.hot = ap
	return s, nil
}

// nsPrefix is the prefix of namespace ns's keys. The name is a Redis
// Cluster hash tag, so each namespace's keys share a slot.
func (s *Store) nsPrefix(ns string) string { return s.base + "{" + ns + "}:" }

// Ping reports whether Redis answers; its error wraps
// store.ErrUnavailable, and a *ServerError when Redis answered with an
// error (a wrong password, a database out of range) rather than not
// answering.
func (s *Store) Ping(ctx context.Context) error {
	err := s.client.Ping(ctx).Err()
	var re redis.Error
	if errors.As(err, &re) {
		err = &ServerError{Msg: re.Error()}
	}
	return store.Unavailable("redis ping", err)
}

// ServerError is an error Redis answered with: it is reachable, but
// refuses (NOAUTH, WRONGPASS, ERR DB index is out of range…).
type ServerError struct {
	// Msg is Redis's answer.
	Msg string
}

func (e *ServerError) Error() string { return e.Msg }

// Close closes the connections.
func (s *Store) Close() error { return s.client.Close() }

// SetLogger sends the Redis client's own messages (reconnections,
// pool problems) to l instead of the standard logger: the client has one
// logger for the whole process.
func SetLogger(l Logger) { redis.SetLogger(l) }

// Logger receives the Redis client's messages (SetLogger).
type Logger interface {
	Printf(ctx context.Context, format string, v ...any)
}
