package inspector

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
	"github.com/postbacksim/postbacksim/mockocean"
)

// scanLimit bounds the journal entries a page reads (the newest ones).
const scanLimit = 10000

// listLimit bounds the rows a list shows.
const listLimit = 200

// recent returns the newest stored requests, at most scanLimit, oldest
// first, and the journal's stats.
func recent(ctx context.Context, s *mockocean.Server) ([]mockocean.Request, mockocean.JournalStats, error) {
	st, err := s.JournalStats(ctx)
	if err != nil {
		return nil, st, err
	}
	var since uint64
	if st.Received > scanLimit {
		since = st.Received - scanLimit
	}
	reqs, err := s.RequestsSince(ctx, since)
	return reqs, st, err
}

// CodeCount is a row of the overview's table of answers.
type CodeCount struct {
	Label string
	Code  string
	N     int
}

// Pending is a delivery waiting for its next attempt.
type Pending struct {
	ID, Event string
	Attempts  int
	Due       *time.Time
}

type overviewData struct {
	Journal   mockocean.JournalStats
	Scanned   int
	Codes     []CodeCount
	Outcomes  []CodeCount
	Stats     mockimpact.Stats
	Pending   []Pending
	Postbacks int
}

func codeLabel(r *mockocean.Request) (key, label string) {
	switch {
	case r.Answered:
		k := strconv.Itoa(r.Code)
		if rule, ok := mockocean.LookupV2Rule(r.Code); ok && r.API == mockocean.APIV2 {
			return k, k + " " + rule.Message
		}
		if rule, ok := mockocean.LookupRule(r.Code); ok {
			return k, k + " " + rule.Msg
		}
		return k, k
	case r.Status == 0:
		return "", "connection dropped"
	default:
		return "", fmt.Sprintf("HTTP %d", r.Status)
	}
}

func (in *Inspector) overview(t *Tenant, w http.ResponseWriter, r *http.Request, v *view) {
	reqs, js, err := recent(r.Context(), t.Ocean)
	if err != nil {
		storeDown(w, err)
		return
	}
	stats, err := t.Impact.Stats(r.Context())
	if err != nil {
		storeDown(w, err)
		return
	}
	pbs, err := t.Impact.Postbacks(r.Context())
	if err != nil {
		storeDown(w, err)
		return
	}
	all, err := t.Impact.Deliveries(r.Context())
	if err != nil {
		storeDown(w, err)
		return
	}
	d := overviewData{Journal: js, Scanned: len(reqs), Stats: stats, Postbacks: len(pbs)}
	idx := map[string]int{}
	for i := range reqs {
		k, label := codeLabel(&reqs[i])
		if j, ok := idx[label]; ok {
			d.Codes[j].N++
			continue
		}
		idx[label] = len(d.Codes)
		d.Codes = append(d.Codes, CodeCount{Label: label, Code: k, N: 1})
	}
	slices.SortFunc(d.Codes, func(a, b CodeCount) int { return cmp.Compare(a.Label, b.Label) })
	outs := map[string]int{}
	for _, dl := range all {
		outs[string(dl.Outcome)]++
		if dl.Outcome == mockimpact.DeliveryPending {
			p := Pending{ID: dl.ID, Event: dl.Event, Attempts: len(dl.Attempts)}
			if n := len(dl.Attempts); n > 0 {
				p.Due = dl.Attempts[n-1].Next
			}
			d.Pending = append(d.Pending, p)
		}
	}
	for _, k := range slices.Sorted(mapsKeys(outs)) {
		d.Outcomes = append(d.Outcomes, CodeCount{Label: k, Code: k, N: outs[k]})
	}
	v.Title, v.Nav, v.Content = "Overview", "overview", d
	in.render(w, http.StatusOK, "overview", v)
}

func mapsKeys(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Filter is the Ocean page's filter, applied on the server to the
// rendered rows and by the script to the streamed ones.
type Filter struct {
	Code, EventType, OuterEventID, Fault, Text string
	// API is track or v2; empty: both.
	API string
	// Warned is "true" (only requests answered with a warning), "false"
	// (only those without) or empty (both).
	Warned string
}

func parseFilter(r *http.Request) Filter {
	q := r.URL.Query()
	return Filter{Code: strings.TrimSpace(q.Get("code")), EventType: strings.TrimSpace(q.Get("event_type")),
		OuterEventID: strings.TrimSpace(q.Get("outer_event_id")), Fault: strings.TrimSpace(q.Get("fault")), Text: strings.TrimSpace(q.Get("q")),
		API: strings.TrimSpace(q.Get("api")), Warned: strings.TrimSpace(q.Get("warned"))}
}

// Keep reports whether r passes the filter.
func (f Filter) Keep(r *mockocean.Request) bool {
	if f.Code != "" {
		k, _ := codeLabel(r)
		if k != f.Code {
			return false
		}
	}
	if f.EventType != "" && r.Params[mockocean.ParamEventType] != f.EventType {
		return false
	}
	if f.OuterEventID != "" && r.Params[mockocean.ParamOuterEventID] != f.OuterEventID {
		return false
	}
	if f.Fault != "" && r.Fault != f.Fault {
		return false
	}
	if f.API != "" && cmp.Or(r.API, mockocean.APITrack) != f.API {
		return false
	}
	if f.Warned != "" && (len(r.Warnings) > 0) != (f.Warned == "true") {
		return false
	}
	if f.Text != "" {
		t := strings.ToLower(f.Text)
		hay := append([]string{r.Msg, r.Detail, r.Fault, r.Path}, r.Warnings...)
		for k, v := range r.Params {
			hay = append(hay, k+"="+v)
		}
		found := false
		for _, h := range hay {
			if strings.Contains(strings.ToLower(h), t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Row is a journal entry as a list shows it.
type Row struct {
	Seq                             uint64
	Time                            time.Time
	Code, Label, EventType, Outer   string
	Fault, Detail, Method, Callback string
	OK                              bool
	// Warnings are the request's warnings: accepted, with a deviation
	// from the documented rules.
	Warnings []string
}

func rowOf(r *mockocean.Request) Row {
	k, label := codeLabel(r)
	event := r.Params[mockocean.ParamEventType]
	if r.API == mockocean.APIV2 {
		event = "v2 " + event // the v2 API's, an event name
	}
	row := Row{Seq: r.Seq, Time: r.Time, Code: k, Label: label, EventType: event,
		Outer: r.Params[mockocean.ParamOuterEventID], Fault: r.Fault, Detail: r.Detail, Method: r.Method,
		OK: r.Answered && r.Code == mockocean.CodeSuccess, Warnings: r.Warnings}
	if r.Conversion != nil {
		row.Callback = r.Conversion.Callback
	}
	return row
}

type oceanData struct {
	Filter    Filter
	Rows      []Row
	Matched   int
	Journal   mockocean.JournalStats
	Dedup     mockocean.DedupStats
	Faults    []mockocean.Fault
	Catalog   []mockocean.Rule
	V2Catalog []mockocean.V2Rule
}

func (in *Inspector) oceanPage(t *Tenant, w http.ResponseWriter, r *http.Request, v *view) {
	f := parseFilter(r)
	reqs, js, err := recent(r.Context(), t.Ocean)
	var dedup mockocean.DedupStats
	var faults []mockocean.Fault
	if err == nil {
		dedup, err = t.Ocean.DedupStats(r.Context())
	}
	if err == nil {
		faults, err = t.Ocean.Faults(r.Context())
	}
	if err != nil {
		storeDown(w, err)
		return
	}
	d := oceanData{Filter: f, Journal: js, Dedup: dedup, Faults: faults, Catalog: mockocean.Catalog(), V2Catalog: mockocean.V2Catalog()}
	for i := len(reqs) - 1; i >= 0; i-- {
		if f.Keep(&reqs[i]) {
			d.Matched++
			if len(d.Rows) < listLimit {
				d.Rows = append(d.Rows, rowOf(&reqs[i]))
			}
		}
	}
	v.Title, v.Nav, v.Content = "Ocean requests", "ocean", d
	in.render(w, http.StatusOK, "ocean", v)
}

type requestData struct {
	R        mockocean.Request
	Raw      mockocean.Raw
	HasRaw   bool
	Label    string
	Rule     *decision
	Answer   string // the answer's body as the API shapes it
	Headers  []KV   // a v2 request's headers that the emulator reads
	Params   []KV
	SinceClk string
}

// decision is the catalog rule that decided a request: its place in
// the check order, what triggers it, and where it comes from when not
// from the platform's document.
type decision struct {
	Order int
	When  string
	Note  string
}

// KV is a name and its value, in order.
type KV struct{ K, V string }

func (in *Inspector) requestPage(t *Tenant, w http.ResponseWriter, r *http.Request, v *view) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	var got []mockocean.Request
	if err == nil && seq > 0 {
		if got, err = t.Ocean.RequestsSince(r.Context(), seq-1); err != nil {
			storeDown(w, err)
			return
		}
	}
	if len(got) == 0 || got[0].Seq != seq {
		v.Title, v.Nav, v.Error = "No such request", "ocean", fmt.Sprintf("The journal holds no request %q (evicted, reset, or never received).", r.PathValue("seq"))
		in.render(w, http.StatusNotFound, "request", v)
		return
	}
	rq := got[0]
	d := requestData{R: rq}
	_, d.Label = codeLabel(&rq)
	if d.Raw, d.HasRaw, err = t.Ocean.Received(r.Context(), seq); err != nil {
		storeDown(w, err)
		return
	}
	if rq.Answered {
		d.Answer, d.Rule = answerOf(&rq)
	}
	if rq.API == mockocean.APIV2 {
		d.Headers = v2Headers(&rq)
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range rq.Params {
			if !yield(k) {
				return
			}
		}
	}) {
		d.Params = append(d.Params, KV{k, rq.Params[k]})
	}
	if a := rq.Attribution; a != nil && a.Click != nil {
		d.SinceClk = a.SinceClick.Round(time.Millisecond).String()
	}
	v.Title, v.Nav, v.Content = fmt.Sprintf("Request %d", seq), "ocean", d
	in.render(w, http.StatusOK, "request", v)
}

type impactData struct {
	Postbacks  []mockimpact.Postback
	Edit       mockimpact.Postback
	EditHeader string
	FormError  *FormError
	Events     []fixtures.EventSpec
	Deliveries []mockimpact.Delivery
	Total      int
	Fire       fireForm
}

type fireForm struct {
	Event, Seed, Status, Payload string
}

// FormError is a refused postback configuration: the field, and for a
// macro error the template with the position marked.
type FormError struct {
	Msg, Field string
	Line, Col  int
	Before     string // the template up to the error
	At         string // the character at it
	After      string
}

func (in *Inspector) impactPage(t *Tenant, w http.ResponseWriter, r *http.Request, v *view) {
	pbs, err := t.Impact.Postbacks(r.Context())
	if err != nil {
		storeDown(w, err)
		return
	}
	d := impactData{Postbacks: pbs, Events: fixtures.ImpactEvents()}
	if ev := r.URL.Query().Get("edit"); ev != "" {
		for _, p := range d.Postbacks {
			if p.Event == ev {
				d.Edit = p
			}
		}
		if d.Edit.Event == "" {
			d.Edit.Event = ev
		}
	}
	d.EditHeader = headerText(d.Edit.Headers)
	in.renderImpact(t, w, r, http.StatusOK, v, d)
}

func (in *Inspector) renderImpact(t *Tenant, w http.ResponseWriter, r *http.Request, status int, v *view, d impactData) {
	all, err := t.Impact.Deliveries(r.Context())
	if err == nil && d.Postbacks == nil {
		d.Postbacks, err = t.Impact.Postbacks(r.Context())
	}
	if err != nil {
		storeDown(w, err)
		return
	}
	d.Total = len(all)
	for i := len(all) - 1; i >= 0 && len(d.Deliveries) < listLimit; i-- {
		d.Deliveries = append(d.Deliveries, all[i])
	}
	if d.Events == nil {
		d.Events = fixtures.ImpactEvents()
	}
	v.Title, v.Nav, v.Content = "impact.com postbacks", "impact", d
	in.render(w, status, "impact", v)
}

func headerText(h map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "%s: %s\n", k, h[k])
	}
	return b.String()
}

// Timeline is the SVG drawing of a delivery's attempts against the
// documented schedule.
type Timeline struct {
	Width, Height int
	Slots         []Slot
	Marks         []Mark
	Next          *Mark
	Axis          []Tick
}

// Slot is a documented attempt time on the axis.
type Slot struct {
	N      int
	X      float64
	Offset string
}

// Mark is an attempt made (or the next one due), placed at its actual
// offset from the first attempt.
type Mark struct {
	N         int
	X, SchedX float64
	Outcome   string
	Title     string
	Scheduled bool
}

// Tick labels the axis.
type Tick struct {
	X     float64
	Label string
}

const (
	tlLeft, tlWidth = 30.0, 900.0
)

// xOf places an offset on a log-ish axis: log(1+s) over log(1+max).
func xOf(d time.Duration) float64 {
	maxOff := mockimpact.ScheduleOffsets()[mockimpact.MaxAttempts-1]
	s := math.Max(0, d.Seconds())
	x := math.Log1p(s) / math.Log1p(maxOff.Seconds())
	return tlLeft + math.Min(1.04, x)*tlWidth
}

func timeline(dl mockimpact.Delivery, now time.Time) Timeline {
	tl := Timeline{Width: int(tlLeft*2 + tlWidth + 40), Height: 150}
	for i, off := range mockimpact.ScheduleOffsets() {
		tl.Slots = append(tl.Slots, Slot{N: i + 1, X: xOf(off), Offset: off.String()})
	}
	for _, tk := range []struct {
		d time.Duration
		l string
	}{{0, "0"}, {15 * time.Second, "15s"}, {time.Minute, "1m"}, {10 * time.Minute, "10m"}, {time.Hour, "1h"}, {6 * time.Hour, "6h"}, {30*time.Hour + 51*time.Minute + 45*time.Second, "30h51m45s"}} {
		tl.Axis = append(tl.Axis, Tick{X: xOf(tk.d), Label: tk.l})
	}
	if len(dl.Attempts) == 0 {
		return tl
	}
	first := dl.Attempts[0].Actual
	for _, a := range dl.Attempts {
		m := Mark{N: a.N, X: xOf(a.Actual.Sub(first)), SchedX: xOf(a.Scheduled.Sub(first)), Outcome: string(a.Outcome)}
		if a.N == 1 {
			m.SchedX = m.X
		}
		m.Title = fmt.Sprintf("attempt %d: %s, %s after the first", a.N, a.Outcome, a.Actual.Sub(first))
		tl.Marks = append(tl.Marks, m)
	}
	last := dl.Attempts[len(dl.Attempts)-1]
	if last.Next != nil && dl.Outcome == mockimpact.DeliveryPending {
		tl.Next = &Mark{N: last.N + 1, X: xOf(last.Next.Sub(first)), Outcome: "next", Scheduled: true,
			Title: fmt.Sprintf("attempt %d due at %s", last.N+1, last.Next.Format(time.RFC3339))}
	}
	return tl
}

type deliveryData struct {
	D        mockimpact.Delivery
	Timeline Timeline
	Due      *time.Time
	Offsets  []string
	// Replicas is set when the attempts say which replica sent them (a
	// sandbox on Redis): the table shows them.
	Replicas bool
}

func (in *Inspector) deliveryPage(t *Tenant, w http.ResponseWriter, r *http.Request, v *view) {
	dl, ok, err := t.Impact.Delivery(r.Context(), r.PathValue("id"))
	if err != nil {
		storeDown(w, err)
		return
	}
	if !ok {
		v.Title, v.Nav, v.Error = "No such delivery", "impact", fmt.Sprintf("The dispatcher knows no delivery %q.", r.PathValue("id"))
		in.render(w, http.StatusNotFound, "delivery", v)
		return
	}
	d := deliveryData{D: dl, Timeline: timeline(dl, v.Now)}
	if n := len(dl.Attempts); n > 0 && dl.Outcome == mockimpact.DeliveryPending {
		d.Due = dl.Attempts[n-1].Next
	}
	for _, off := range mockimpact.ScheduleOffsets() {
		d.Offsets = append(d.Offsets, off.String())
	}
	for _, a := range dl.Attempts {
		d.Replicas = d.Replicas || a.Replica != ""
	}
	v.Title, v.Nav, v.Content = "Delivery "+dl.ID, "impact", d
	in.render(w, http.StatusOK, "delivery", v)
}

// answerOf is the answer a request got, in its API's shape, and the
// catalog rule behind its code (nil for a code the catalog lacks).
func answerOf(rq *mockocean.Request) (string, *decision) {
	if rq.API == mockocean.APIV2 {
		body := compactJSON(mockocean.V2Answer{Code: rq.Code, Message: rq.Msg, RequestID: rq.RequestID})
		if rule, ok := mockocean.LookupV2Rule(rq.Code); ok {
			return body, &decision{Order: rule.Order, When: rule.When, Note: "read from the public clients: the v2 API has no document here"}
		}
		return body, nil
	}
	body := compactJSON(mockocean.Answer{Code: rq.Code, Ret: rq.Code, Msg: rq.Msg})
	if rule, ok := mockocean.LookupRule(rq.Code); ok {
		d := &decision{Order: rule.Order, When: rule.When}
		if !rule.Documented {
			d.Note = "not in the documentation"
		}
		return body, d
	}
	return body, nil
}

// compactJSON is v as one line of JSON, text left as it is (the page
// escapes it).
func compactJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // answers: numbers and strings
	return strings.TrimSuffix(b.String(), "\n")
}

// v2Headers are the headers of a v2 request the emulator reads, as the
// journal keeps them (an App-Access-Token's value is not kept).
func v2Headers(rq *mockocean.Request) []KV {
	var h []KV
	if rq.Signature != "" {
		h = append(h, KV{mockocean.HeaderV2Signature, rq.Signature})
	}
	if rq.RS256Token != "" {
		h = append(h, KV{mockocean.HeaderV2RS256Token, rq.RS256Token})
	}
	if rq.Debug {
		h = append(h, KV{mockocean.HeaderV2DebugMode, "1 (debug: validated, not counted, not remembered by the duplicate filter)"})
	}
	if rq.AppAccessToken {
		h = append(h, KV{mockocean.HeaderV2AppToken, "sent (its value is not kept)"})
	}
	return h
}
