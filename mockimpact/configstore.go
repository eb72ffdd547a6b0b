package mockimpact

import (
	"context"
	"encoding/json"
	"fmt"
)

// ConfigStore keeps a dispatcher's postback configurations: Configure
// saves there, and each Fire reads its event's configuration there.
// MemoryConfigs keeps them in the process; a store shared by several
// dispatchers (several replicas, package redisstore) makes a
// configuration saved through one used by the others for the events they
// fire. An error of a store that cannot be reached wraps
// store.ErrUnavailable.
//
// Configurations are stored as they were compiled (Compiled.Postback),
// in JSON, by event name. Those a store returns may be its own: the
// caller reads them, never changes them.
type ConfigStore interface {
	// SavePostback stores the configuration of event, replacing any.
	SavePostback(ctx context.Context, event string, config []byte) error
	// LoadPostback returns the configuration of event; ok is false when
	// there is none.
	LoadPostback(ctx context.Context, event string) (config []byte, ok bool, err error)
	// DeletePostback removes the configuration of event; it reports
	// whether there was one.
	DeletePostback(ctx context.Context, event string) (bool, error)
	// LoadPostbacks returns every configuration, by event name.
	LoadPostbacks(ctx context.Context) (map[string][]byte, error)
}

// decodePostback reads a stored configuration.
func decodePostback(event string, b []byte) (Postback, error) {
	var p Postback
	if err := json.Unmarshal(b, &p); err != nil {
		return Postback{}, fmt.Errorf("stored postback %s: %w", event, err)
	}
	p.Event = event
	return p, nil
}
