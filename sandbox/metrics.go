package sandbox

import (
	"context"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

// metrics are the sandbox's Prometheus metrics, on their own registry.
type metrics struct {
	registry         *prometheus.Registry
	oceanRequests    *prometheus.CounterVec
	impactAttempts   *prometheus.CounterVec
	impactDeliveries *prometheus.CounterVec
	attemptLatency   *prometheus.HistogramVec

	// retired holds the counts of the namespaces removed (their series
	// are gone from /metrics), by metric and answer label, so that the
	// traffic summary's sums never go down.
	retiredMu sync.Mutex
	retired   map[string]map[string]float64
	// retiring is held by forget while a namespace's counts move from
	// its series to retired, and read-held by the summary's sums: a sum
	// never sees them in both, or in neither.
	retiring sync.RWMutex
	// forgotten counts the namespaces forget removed: the generation of
	// the series cached (seriesCache).
	forgotten atomic.Uint64
}

func newMetrics(sb *Sandbox) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		oceanRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbacksim_ocean_requests_total",
			Help: "Conversion requests by API (track: /track/activate/, v2: /api/v2/conversion) and answer: the code, or http_STATUS for answers that are not a code (faults, 413), or dropped.",
		}, []string{"namespace", "api", "code"}),
		impactAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbacksim_impact_attempts_total",
			Help: "impact.com delivery attempts by event and classification.",
		}, []string{"namespace", "event", "outcome"}),
		impactDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbacksim_impact_deliveries_total",
			Help: "impact.com deliveries that ended, by event and outcome.",
		}, []string{"namespace", "event", "outcome"}),
		attemptLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "postbacksim_impact_attempt_latency_seconds",
			Help:    "Latency of impact.com delivery attempts that got an answer or timed out.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9), // 1 ms … 65 s
		}, []string{"namespace", "event"}),
	}
	m.registry.MustRegister(m.oceanRequests, m.impactAttempts, m.impactDeliveries, m.attemptLatency,
		&stateCollector{sb: sb},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "postbacksim_memory_budget_bytes",
			Help: "The sandbox-wide memory budget (--memory-budget; 0: none).",
		}, func() float64 { return float64(sb.budget.Stats().Limit) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "postbacksim_memory_held_bytes",
			Help: "What all namespaces hold in this process's memory, as charged on the budget: Ocean journals, remembered outer_event_ids, impact deliveries.",
		}, func() float64 { return float64(sb.budget.Stats().Held) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "postbacksim_memory_evicted_total",
			Help: "Journal entries, remembered ids and ended deliveries evicted to keep the sandbox under its memory budget, oldest first, whichever namespace held them.",
		}, func() float64 { return float64(sb.budget.Stats().Evicted) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp(m.registry)
}

// oceanKey is what a conversion's answer label depends on.
type oceanKey struct {
	api          string
	status, code int
	faulted      bool
}

func oceanKeyOf(r mockocean.Request) oceanKey {
	return oceanKey{api: r.API, status: r.Status, code: r.Code, faulted: r.Fault != ""}
}

// oceanLabels are the api and code labels of postbacksim_ocean_requests_total.
func oceanLabels(k oceanKey) (api, code string) {
	code = strconv.Itoa(k.code)
	switch {
	case k.status == 0:
		code = "dropped"
	case k.status != http.StatusOK || k.faulted && k.code == 0:
		code = "http_" + strconv.Itoa(k.status)
	}
	api = k.api
	if api == "" {
		api = mockocean.APITrack
	}
	return api, code
}

// seriesCache holds one namespace's series of a metric, each looked up
// in its vector once: the label hashing is off the request's or the
// attempt's path. The cache is a map replaced on each new key (a handful
// per namespace), read without a lock. A namespace removed and made
// again can share its name with a tenant whose series were cached before
// forget deleted them: every forget moves the metrics' generation on,
// and a cache of an older generation is thrown away, so the series come
// back.
type seriesCache[K comparable, V any] struct {
	m      *metrics
	lookup func(K) V  // looks the series of a key up in the vectors
	mu     sync.Mutex // held to add a key
	cache  atomic.Pointer[seriesGen[K, V]]
}

// seriesGen is the series looked up at one generation of the metrics.
type seriesGen[K comparable, V any] struct {
	gen    uint64
	series map[K]V
}

func newSeriesCache[K comparable, V any](m *metrics, lookup func(K) V) *seriesCache[K, V] {
	return &seriesCache[K, V]{m: m, lookup: lookup}
}

// get returns k's series.
func (c *seriesCache[K, V]) get(k K) V {
	gen := c.m.forgotten.Load() // read before any lookup: a forget after it makes this cache stale
	if cache := c.cache.Load(); cache != nil && cache.gen == gen {
		if v, ok := cache.series[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := &seriesGen[K, V]{gen: gen, series: map[K]V{}}
	if cache := c.cache.Load(); cache != nil && cache.gen == gen {
		maps.Copy(next.series, cache.series)
	}
	v, ok := next.series[k]
	if !ok {
		v = c.lookup(k)
		next.series[k] = v
		c.cache.Store(next)
	}
	return v
}

// oceanCounters are one namespace's conversion counters.
type oceanCounters struct {
	*seriesCache[oceanKey, prometheus.Counter]
}

func (m *metrics) oceanCountersFor(ns string) oceanCounters {
	return oceanCounters{newSeriesCache(m, func(k oceanKey) prometheus.Counter {
		api, code := oceanLabels(k)
		return m.oceanRequests.WithLabelValues(ns, api, code)
	})}
}

// inc counts r.
func (c oceanCounters) inc(r mockocean.Request) { c.get(oceanKeyOf(r)).Inc() }

// impactKey is what an attempt's series depend on.
type impactKey struct {
	event   string
	outcome mockimpact.Outcome
	end     mockimpact.DeliveryOutcome // the delivery's outcome when the attempt ends it, else ""
	timed   bool                       // it has a latency (got an answer or timed out)
}

// impactSeries are the series an attempt counts on.
type impactSeries struct {
	attempts   prometheus.Counter
	latency    prometheus.Observer // nil when the attempt has no latency: its series is made by the first that has one
	deliveries prometheus.Counter  // nil when the attempt does not end its delivery
}

// impactMetrics are one namespace's attempt series.
type impactMetrics struct {
	*seriesCache[impactKey, impactSeries]
}

func (m *metrics) impactMetricsFor(ns string) impactMetrics {
	return impactMetrics{newSeriesCache(m, func(k impactKey) impactSeries {
		s := impactSeries{attempts: m.impactAttempts.WithLabelValues(ns, k.event, string(k.outcome))}
		if k.timed {
			s.latency = m.attemptLatency.WithLabelValues(ns, k.event)
		}
		if k.end != "" {
			s.deliveries = m.impactDeliveries.WithLabelValues(ns, k.event, string(k.end))
		}
		return s
	})}
}

// count counts attempt a.
func (c impactMetrics) count(a mockimpact.Attempt) {
	k := impactKey{event: a.Event, outcome: a.Outcome, timed: a.Latency > 0}
	if !a.Retry {
		k.end = mockimpact.EndOf(a.Outcome, a.N)
	}
	s := c.get(k)
	s.attempts.Inc()
	if s.latency != nil {
		s.latency.Observe(a.Latency.Seconds())
	}
	if s.deliveries != nil {
		s.deliveries.Inc()
	}
}

// stateCollector reports each namespace's journal, dedup and dispatcher
// state when scraped.
type stateCollector struct{ sb *Sandbox }

var (
	descJournalStored  = prometheus.NewDesc("postbacksim_ocean_journal_stored", "Requests held in the Ocean journal.", []string{"namespace"}, nil)
	descJournalEvicted = prometheus.NewDesc("postbacksim_ocean_journal_evicted_total", "Requests evicted from the Ocean journal (oldest first) for its capacity or byte budget.", []string{"namespace"}, nil)
	descJournalBytes   = prometheus.NewDesc("postbacksim_ocean_journal_bytes", "What the requests held in the Ocean journal count against its byte budget.", []string{"namespace"}, nil)
	descDedupSize      = prometheus.NewDesc("postbacksim_ocean_dedup_ids", "outer_event_ids remembered by the duplicate filter.", []string{"namespace"}, nil)
	descDedupEvicted   = prometheus.NewDesc("postbacksim_ocean_dedup_evicted_total", "outer_event_ids evicted for capacity.", []string{"namespace"}, nil)
	descImpactPending  = prometheus.NewDesc("postbacksim_impact_pending_deliveries", "impact.com deliveries waiting for an attempt.", []string{"namespace"}, nil)
	descImpactEvicted  = prometheus.NewDesc("postbacksim_impact_deliveries_evicted_total", "Finished impact.com deliveries evicted from the journal (oldest first) for its capacity.", []string{"namespace"}, nil)
	descNamespaces     = prometheus.NewDesc("postbacksim_namespaces", "Namespaces in use, the default one included.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descJournalStored, descJournalEvicted, descJournalBytes, descDedupSize, descDedupEvicted, descImpactPending, descImpactEvicted, descNamespaces} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ts := c.sb.tenantList()
	ch <- prometheus.MustNewConstMetric(descNamespaces, prometheus.GaugeValue, float64(len(ts)))
	ctx := context.Background()
	for _, t := range ts {
		// A namespace whose state cannot be read has no series this
		// scrape: zeros would read as an empty journal.
		js, err1 := t.Ocean.JournalStats(ctx)
		ds, err2 := t.Ocean.DedupStats(ctx)
		is, err3 := t.Impact.Stats(ctx)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(descJournalStored, prometheus.GaugeValue, float64(js.Stored), t.Name)
		ch <- prometheus.MustNewConstMetric(descJournalEvicted, prometheus.CounterValue, float64(js.Evicted), t.Name)
		ch <- prometheus.MustNewConstMetric(descJournalBytes, prometheus.GaugeValue, float64(js.Bytes), t.Name)
		ch <- prometheus.MustNewConstMetric(descDedupSize, prometheus.GaugeValue, float64(ds.Size), t.Name)
		ch <- prometheus.MustNewConstMetric(descDedupEvicted, prometheus.CounterValue, float64(ds.Evicted), t.Name)
		ch <- prometheus.MustNewConstMetric(descImpactPending, prometheus.GaugeValue, float64(is.Pending), t.Name)
		ch <- prometheus.MustNewConstMetric(descImpactEvicted, prometheus.CounterValue, float64(is.Evicted), t.Name)
	}
}
