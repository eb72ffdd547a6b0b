package mockimpact

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrStoreUnavailable wraps every error of a ConfigStore that could not
// be reached or did not answer: the admin endpoints answer HTTP 503.
var ErrStoreUnavailable = errors.New("state store unavailable")

// RedisConfigs is a ConfigStore in one Redis hash (event → JSON), whose
// TTL is renewed on each change.
type RedisConfigs struct {
	client redis.UniversalClient
	key    string
	ttl    time.Duration
}

// NewRedisConfigs returns the ConfigStore kept in the hash named key,
// kept ttl after its last change (0: for ever).
func NewRedisConfigs(client redis.UniversalClient, key string, ttl time.Duration) *RedisConfigs {
	return &RedisConfigs{client: client, key: key, ttl: ttl}
}

// Key is the hash holding the configurations.
func (s *RedisConfigs) Key() string { return s.key }

// SavePostback stores config as event's configuration.
func (s *RedisConfigs) SavePostback(ctx context.Context, event string, config []byte) error {
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.key, event, config)
		if s.ttl > 0 {
			p.PExpire(ctx, s.key, s.ttl)
		}
		return nil
	})
	if err != nil {
		return storeError("saving postback "+event, err)
	}
	return nil
}

// LoadPostback reads event's configuration.
func (s *RedisConfigs) LoadPostback(ctx context.Context, event string) ([]byte, bool, error) {
	b, err := s.client.HGet(ctx, s.key, event).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, storeError("reading postback "+event, err)
	}
	return b, true, nil
}

// DeletePostback removes event's configuration.
func (s *RedisConfigs) DeletePostback(ctx context.Context, event string) (bool, error) {
	n, err := s.client.HDel(ctx, s.key, event).Result()
	if err != nil {
		return false, storeError("deleting postback "+event, err)
	}
	return n > 0, nil
}

// LoadPostbacks reads every configuration.
func (s *RedisConfigs) LoadPostbacks(ctx context.Context) (map[string][]byte, error) {
	m, err := s.client.HGetAll(ctx, s.key).Result()
	if err != nil {
		return nil, storeError("reading postbacks", err)
	}
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out, nil
}

// storeError wraps err, from the store, as ErrStoreUnavailable with what
// was being done.
func storeError(what string, err error) error {
	return fmt.Errorf("%s: %w: %w", what, ErrStoreUnavailable, err)
}
