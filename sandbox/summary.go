package sandbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/postbacksim/postbacksim/clock"
)

// defaultSummaryEvery is the interval of the traffic summary when
// Config.SummaryEvery is zero.
const defaultSummaryEvery = time.Minute

// summary logs the traffic since its last line, read from the metrics
// registry: the hot path pays nothing for it.
type summary struct {
	sb      *Sandbox
	every   time.Duration
	clock   clock.Clock
	mu      sync.Mutex
	timer   clock.Timer
	stopped bool
	last    traffic
}

// traffic is what the summary counts, cumulated since the start.
type traffic struct {
	requests int64
	ocean    map[string]float64 // by code label
	impact   map[string]float64 // by attempt outcome
}

func startSummary(sb *Sandbox) *summary {
	every := sb.cfg.SummaryEvery
	if every == 0 {
		every = defaultSummaryEvery
	}
	if every < 0 {
		return nil
	}
	c := sb.cfg.Clock
	if c == nil {
		c = clock.Real{}
	}
	s := &summary{sb: sb, every: every, clock: c, last: traffic{ocean: map[string]float64{}, impact: map[string]float64{}}}
	s.mu.Lock()
	s.timer = c.AfterFunc(every, s.tick)
	s.mu.Unlock()
	return s
}

// tick logs one summary and schedules the next.
func (s *summary) tick() {
	s.log()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.timer = s.clock.AfterFunc(s.every, s.tick)
	}
}

// log writes the traffic since the last summary, if there was any.
func (s *summary) log() {
	now := s.read()
	s.mu.Lock()
	prev := s.last
	s.last = now
	s.mu.Unlock()
	requests := now.requests - prev.requests
	if requests == 0 && sameCounts(now.impact, prev.impact) {
		return
	}
	attrs := []slog.Attr{slog.Duration("over", s.every), slog.Int64("requests", requests)}
	if d := delta(now.ocean, prev.ocean); len(d) > 0 {
		attrs = append(attrs, slog.Any("ocean_codes", d))
	}
	if d := delta(now.impact, prev.impact); len(d) > 0 {
		attrs = append(attrs, slog.Any("impact_attempts", d))
	}
	s.sb.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, "traffic", attrs...)
}

// summed are the counters the summary reads, by metric: the label they
// are summed by.
var summed = map[string]string{"postbacksim_ocean_requests_total": "code", "postbacksim_impact_attempts_total": "outcome"}

// read sums the counters over the namespaces, those removed included.
func (s *summary) read() traffic {
	t := traffic{requests: s.sb.served.Load()}
	sums := s.sb.metrics.sums("")
	t.ocean, t.impact = sums["postbacksim_ocean_requests_total"], sums["postbacksim_impact_attempts_total"]
	return t
}

// sums sums the counters of summed over the namespaces (only namespace
// ns, when set), by metric and label value; without ns, the removed
// namespaces' counts are in.
func (m *metrics) sums(ns string) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for name := range summed {
		out[name] = map[string]float64{}
	}
	if ns == "" {
		m.retiring.RLock()
		defer m.retiring.RUnlock()
		m.retiredMu.Lock()
		for name, byLabel := range m.retired {
			for k, v := range byLabel {
				out[name][k] += v
			}
		}
		m.retiredMu.Unlock()
	}
	families, err := m.registry.Gather()
	if err != nil {
		return out
	}
	for _, f := range families {
		label, ok := summed[f.GetName()]
		if !ok {
			continue
		}
		for _, c := range f.GetMetric() {
			if ns == "" || labelValue(c, "namespace") == ns {
				out[f.GetName()][labelValue(c, label)] += c.GetCounter().GetValue()
			}
		}
	}
	return out
}

// retire keeps namespace ns's counts, before its series are deleted;
// the caller holds retiring.
func (m *metrics) retire(ns string) {
	sums := m.sums(ns)
	m.retiredMu.Lock()
	defer m.retiredMu.Unlock()
	if m.retired == nil {
		m.retired = map[string]map[string]float64{}
	}
	for name, byLabel := range sums {
		if m.retired[name] == nil {
			m.retired[name] = map[string]float64{}
		}
		for k, v := range byLabel {
			m.retired[name][k] += v
		}
	}
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// delta is now − prev, without the zeros.
func delta(now, prev map[string]float64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range now {
		if d := int64(v - prev[k]); d != 0 {
			out[k] = d
		}
	}
	return out
}

func sameCounts(a, b map[string]float64) bool { return len(delta(a, b)) == 0 }

// stop ends the summaries; a nil summary (none configured) is fine.
func (s *summary) stop() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
}
