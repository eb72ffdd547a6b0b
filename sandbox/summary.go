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

// read sums the counters over the namespaces.
func (s *summary) read() traffic {
	t := traffic{requests: s.sb.served.Load(), ocean: map[string]float64{}, impact: map[string]float64{}}
	families, err := s.sb.metrics.registry.Gather()
	if err != nil {
		return t
	}
	for _, f := range families {
		var into map[string]float64
		var label string
		switch f.GetName() {
		case "postbacksim_ocean_requests_total":
			into, label = t.ocean, "code"
		case "postbacksim_impact_attempts_total":
			into, label = t.impact, "outcome"
		default:
			continue
		}
		for _, m := range f.GetMetric() {
			into[labelValue(m, label)] += m.GetCounter().GetValue()
		}
	}
	return t
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
