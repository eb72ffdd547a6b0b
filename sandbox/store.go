package sandbox

import (
	"context"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
	"github.com/postbacksim/postbacksim/store"
)

// Store is where a shared sandbox keeps its state, for every replica
// configured with the same one: each namespace's emulators' state and the
// registry of namespaces. A nil Config.Store keeps everything in the
// process's memory. Package redisstore implements it on Redis.
type Store interface {
	// Ocean opens the Ocean state of namespace ns.
	Ocean(ns string) mockocean.Store
	// ImpactConfigs is namespace ns's postback configurations.
	ImpactConfigs(ns string) mockimpact.ConfigStore
	// ImpactDeliveries is namespace ns's deliveries, shared by the
	// replicas' dispatchers as o says.
	ImpactDeliveries(ns string, o mockimpact.ScheduleOptions) mockimpact.DeliveryStore
	// Registry is what the replicas agree on: namespaces, heartbeats and
	// the scaled clocks' epoch.
	Registry() store.Registry
	// Ping reports whether the store answers; its error wraps
	// store.ErrUnavailable.
	Ping(ctx context.Context) error
}
