package mockimpact

import (
	"context"
	"maps"
	"slices"
	"sync"
)

var _ ConfigStore = (*MemoryConfigs)(nil)

// MemoryConfigs is a ConfigStore in the process's memory: the default
// (Options.Configs nil). It never fails. Safe for concurrent use.
type MemoryConfigs struct {
	mu      sync.Mutex
	configs map[string][]byte // by event
}

// NewMemoryConfigs returns an empty store.
func NewMemoryConfigs() *MemoryConfigs { return &MemoryConfigs{configs: map[string][]byte{}} }

// SavePostback stores a copy of config as event's configuration.
func (m *MemoryConfigs) SavePostback(_ context.Context, event string, config []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.configs[event] = slices.Clone(config)
	return nil
}

// LoadPostback returns event's configuration: the store's own, which is
// never changed (a save replaces it), so the caller reads it and never
// changes it.
func (m *MemoryConfigs) LoadPostback(_ context.Context, event string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.configs[event]
	return b, ok, nil
}

// DeletePostback removes event's configuration.
func (m *MemoryConfigs) DeletePostback(_ context.Context, event string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.configs[event]
	delete(m.configs, event)
	return ok, nil
}

// LoadPostbacks returns a copy of every configuration, by event name.
func (m *MemoryConfigs) LoadPostbacks(context.Context) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := maps.Clone(m.configs)
	for k, v := range out {
		out[k] = slices.Clone(v)
	}
	return out, nil
}
