package redisstore

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// FromClient returns a Store on a connection opened elsewhere (a
// mockocean.RedisStore's, which the sandbox keeps its Ocean state on),
// its keys starting with prefix and kept idleTTL after their last change
// (0: DefaultIdleTTL): the sandbox opens its namespaces' impact.com
// configurations and deliveries there, on the same connection. It
// pipelines nothing of its own; its Close closes the connection it was
// given.
func FromClient(client *redis.Client, prefix string, idleTTL time.Duration) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if idleTTL <= 0 {
		idleTTL = DefaultIdleTTL
	}
	return &Store{client: client, base: prefix, idleTTL: idleTTL}
}
