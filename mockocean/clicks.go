package mockocean

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/internal/ring"
)

// ClickOptions configure SendClicks.
type ClickOptions struct {
	// MonitorURL is the advertiser's monitoring URL, with macros
	// (MonitorMacros).
	MonitorURL string `json:"monitor_url"`
	// Count is how many clicks to send (1 to MaxClicks).
	Count int `json:"count"`
	// Rate is clicks per second; 0 means as fast as answers come.
	Rate float64 `json:"rate,omitempty"`
	// Seed generates the clicks (same seed, same clicks); 0 means the
	// default seed.
	Seed int64 `json:"seed,omitempty"`
	// Kind is what to send: clicks (the default), impressions or valid
	// plays of a video ad; a conversion attributed to a play has
	// match_type 2.
	Kind ClickKind `json:"kind,omitempty"`
	// Impressions sends impressions instead of clicks: the same as Kind
	// KindImpression, kept for existing callers.
	Impressions bool `json:"impressions,omitempty"`
	// CallbackBase is this emulator's base URL, for __CALLBACK_URL__; a
	// path in it (a sandbox namespace's /ns/NAME) is kept.
	CallbackBase string `json:"callback_base,omitempty"`
	// Timeout bounds each request; 0 means 10 s.
	Timeout time.Duration `json:"-"`
	// Client sends the requests; nil means a plain keep-alive client.
	Client *http.Client `json:"-"`
	// Progress, when set, is called after each click.
	Progress func(sent, total int) `json:"-"`
}

// ClickKind is what the click side sends to a monitoring URL.
type ClickKind string

// The kinds of ClickOptions.Kind, as match_type counts them.
const (
	KindClick      ClickKind = "click"      // match_type 0
	KindImpression ClickKind = "impression" // match_type 1
	KindPlay       ClickKind = "play"       // match_type 2, a valid play
)

// ClickKinds lists the kinds, in match_type order.
func ClickKinds() []ClickKind { return []ClickKind{KindClick, KindImpression, KindPlay} }

// kind resolves Kind and the older Impressions flag.
func (o ClickOptions) kind() (ClickKind, error) {
	switch o.Kind {
	case "":
		if o.Impressions {
			return KindImpression, nil
		}
		return KindClick, nil
	case KindClick, KindPlay:
		if o.Impressions {
			return "", fmt.Errorf("kind %s and impressions: choose one (impressions means kind impression)", o.Kind)
		}
		return o.Kind, nil
	case KindImpression:
		return o.Kind, nil
	}
	return "", fmt.Errorf("kind %q: want click, impression or play", o.Kind)
}

// MaxClicks bounds one SendClicks call.
const MaxClicks = 1_000_000

// SentClick is one click sent to a monitoring URL.
type SentClick struct {
	Click    fixtures.OceanClick `json:"click"`
	Callback string              `json:"callback"`
	URL      string              `json:"url"`
	Time     time.Time           `json:"time"`
	// Status is the HTTP status of the advertiser's answer; Error says
	// why there was none.
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ClickReport summarises a SendClicks call. Every click is counted: sent
// = answered + failed.
type ClickReport struct {
	Sent     int            `json:"sent"`
	Answered int            `json:"answered"`
	Failed   int            `json:"failed"`
	ByStatus map[int]int    `json:"by_status"`
	Errors   map[string]int `json:"errors,omitempty"`
	Elapsed  time.Duration  `json:"elapsed_ns"`
}

// String is a one-line summary with status counts.
func (r ClickReport) String() string {
	codes := make([]int, 0, len(r.ByStatus))
	for c := range r.ByStatus {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	s := fmt.Sprintf("%d sent, %d answered", r.Sent, r.Answered)
	for _, c := range codes {
		s += fmt.Sprintf(", %d× HTTP %d", r.ByStatus[c], c)
	}
	if r.Failed > 0 {
		s += fmt.Sprintf(", %d failed", r.Failed)
		for e, n := range r.Errors {
			s += fmt.Sprintf(" (%d× %s)", n, e)
		}
	}
	return s
}

// SendClicks sends generated clicks to an advertiser's monitoring URL, as
// Ocean Engine does: one GET each, with the URL's macros filled and a
// callback the emulator will recognise when the conversion comes back.
// Bad options are an error; failed sends are counted in the report and
// journaled, never dropped. It stops early when ctx is done.
func (s *Server) SendClicks(ctx context.Context, o ClickOptions) (ClickReport, error) {
	tpl, err := ParseMonitorURL(o.MonitorURL)
	if err != nil {
		return ClickReport{}, err
	}
	if o.Count < 1 || o.Count > MaxClicks {
		return ClickReport{}, fmt.Errorf("count %d: want 1 to %d", o.Count, MaxClicks)
	}
	if o.Rate < 0 {
		return ClickReport{}, fmt.Errorf("rate %v is negative", o.Rate)
	}
	kind, err := o.kind()
	if err != nil {
		return ClickReport{}, err
	}
	if o.CallbackBase == "" {
		o.CallbackBase = "http://127.0.0.1:8080"
	}
	base, err := url.Parse(o.CallbackBase)
	if err != nil || base.Host == "" {
		return ClickReport{}, fmt.Errorf("callback base %q: want a URL such as http://127.0.0.1:8080", o.CallbackBase)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: o.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	var lim *rate.Limiter
	if o.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(o.Rate), 1)
	}
	gen := fixtures.NewOceanGen(o.Seed)
	rep := ClickReport{ByStatus: map[int]int{}, Errors: map[string]int{}}
	start := s.clock.Now()
	for i := 0; i < o.Count; i++ {
		now := s.clock.Now()
		if lim != nil {
			if err := s.clock.Sleep(ctx, lim.ReserveN(now, 1).DelayFrom(now)); err != nil {
				break
			}
			now = s.clock.Now()
		}
		if ctx.Err() != nil {
			break
		}
		c := gen.Click(now, kind == KindImpression)
		c.Play = kind == KindPlay
		cb := s.issuer.Issue(RefOf(c))
		cbURL := *base
		cbURL.Path = strings.TrimSuffix(base.Path, "/") + ActivatePath // keeps a /ns/NAME prefix
		cbURL.RawQuery = url.Values{ParamCallback: {cb}}.Encode()
		sent := SentClick{Click: c, Callback: cb, URL: tpl.Expand(c, cb, cbURL.String()), Time: now}
		status, err := get(ctx, client, sent.URL, c.Device.UA)
		rep.Sent++
		if err != nil {
			rep.Failed++
			sent.Error = err.Error()
			rep.Errors[errorKind(err)]++
		} else {
			rep.Answered++
			sent.Status = status
			rep.ByStatus[status]++
		}
		s.clicks.add(sent)
		if o.Progress != nil {
			o.Progress(rep.Sent, o.Count)
		}
	}
	rep.Elapsed = s.clock.Now().Sub(start)
	if rep.Sent < o.Count {
		return rep, fmt.Errorf("stopped after %d of %d clicks: %w", rep.Sent, o.Count, ctx.Err())
	}
	return rep, nil
}

func get(ctx context.Context, c *http.Client, u, ua string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", ua)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// errorKind shortens a send error for the report's counts.
func errorKind(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe interface{ Timeout() bool }
	if errors.As(err, &oe) && oe.Timeout() {
		return "timeout"
	}
	msg := err.Error()
	for _, k := range []string{"connection refused", "no such host", "connection reset", "EOF"} {
		if strings.Contains(msg, k) {
			return k
		}
	}
	return msg
}

// clickJournal keeps the clicks sent, bounded like the request journal.
type clickJournal struct {
	mu  sync.Mutex
	buf ring.Buffer[SentClick]
}

func (j *clickJournal) add(c SentClick) {
	j.mu.Lock()
	j.buf.Add(c)
	j.mu.Unlock()
}

func (j *clickJournal) list() []SentClick {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.buf.Slice(nil)
}

// Clicks returns the clicks sent, oldest first.
func (s *Server) Clicks() []SentClick { return s.clicks.list() }
