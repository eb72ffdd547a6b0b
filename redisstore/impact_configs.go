package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/store"
)

// ImpactConfigs returns namespace's impact postback configurations: one
// hash (PREFIX{NS}:impact:postbacks, event → the configuration's JSON),
// kept the store's idle TTL after its last change. Give it to the
// namespace's dispatcher as mockimpact.Options.Configs.
func (s *Store) ImpactConfigs(namespace string) mockimpact.ConfigStore {
	return &configs{client: s.client, key: s.nsPrefix(namespace) + "impact:postbacks", ttl: s.idleTTL}
}

var _ mockimpact.ConfigStore = (*configs)(nil)

// configs is a mockimpact.ConfigStore in one Redis hash, whose TTL is
// renewed on each change.
type configs struct {
	client *redis.Client
	key    string
	ttl    time.Duration // 0: for ever
}

// SavePostback stores config as event's configuration.
func (s *configs) SavePostback(ctx context.Context, event string, config []byte) error {
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.key, event, config)
		if s.ttl > 0 {
			p.PExpire(ctx, s.key, s.ttl)
		}
		return nil
	})
	return store.Unavailable("saving postback "+event, err)
}

// LoadPostback reads event's configuration.
func (s *configs) LoadPostback(ctx context.Context, event string) ([]byte, bool, error) {
	b, err := s.client.HGet(ctx, s.key, event).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, store.Unavailable("reading postback "+event, err)
	}
	return b, true, nil
}

// DeletePostback removes event's configuration.
func (s *configs) DeletePostback(ctx context.Context, event string) (bool, error) {
	n, err := s.client.HDel(ctx, s.key, event).Result()
	if err != nil {
		return false, store.Unavailable("deleting postback "+event, err)
	}
	return n > 0, nil
}

// LoadPostbacks reads every configuration.
func (s *configs) LoadPostbacks(ctx context.Context) (map[string][]byte, error) {
	m, err := s.client.HGetAll(ctx, s.key).Result()
	if err != nil {
		return nil, store.Unavailable("reading postbacks", err)
	}
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out, nil
}
