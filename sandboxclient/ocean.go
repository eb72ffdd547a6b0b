package sandboxclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/postbacksim/postbacksim/mockocean"
)

// OceanFilter selects Ocean journal entries for OceanRequests: the
// server's own filter (mockocean.RequestFilter), sent as the query of
// GET /_admin/ocean/requests. Zero fields match everything:
//
//	OceanFilter{Code: new(40001), API: mockocean.APITrack, Limit: 10}
//	OceanFilter{EventName: "active_pay"}   // v2 requests sending that event
//	OceanFilter{Since: lastSeq}           // only entries after that Seq
type OceanFilter = mockocean.RequestFilter

// OceanJournal is the answer to OceanRequests: the entries that pass the
// filter, how many, and what the journal holds and has dropped.
type OceanJournal struct {
	Count    int                    `json:"count"`
	Stats    mockocean.JournalStats `json:"stats"`
	Requests []mockocean.Request    `json:"requests"`
}

// oceanQuery is f as the query ParseRequestFilter reads.
func oceanQuery(f OceanFilter) url.Values {
	q := url.Values{}
	if f.Code != nil {
		q.Set("code", strconv.Itoa(*f.Code))
	}
	switch {
	case f.EventType != nil:
		q.Set("event_type", strconv.Itoa(*f.EventType))
	case f.EventName != "":
		q.Set("event_type", f.EventName)
	}
	if f.API != "" {
		q.Set("api", f.API)
	}
	if f.Fault != "" {
		q.Set("fault", f.Fault)
	}
	if f.Warned != nil {
		q.Set("warned", strconv.FormatBool(*f.Warned))
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Since != 0 {
		q.Set("since", strconv.FormatUint(f.Since, 10))
	}
	return q
}

// OceanRequests reads the Ocean journal (GET /_admin/ocean/requests):
// the requests to /track/activate/ and /api/v2/conversion that pass f,
// oldest first, with the answer each got. EventType and EventName both
// travel as the query's event_type, so set one of them.
func (c *Client) OceanRequests(ctx context.Context, f OceanFilter) (OceanJournal, error) {
	var j OceanJournal
	if f.EventType != nil && f.EventName != "" {
		return j, fmt.Errorf("sandboxclient.OceanRequests: filter: set EventType or EventName, not both")
	}
	err := c.get(ctx, "OceanRequests", mockocean.AdminPrefix+"/requests", oceanQuery(f), &j)
	return j, err
}

// ClearOceanRequests empties the Ocean journal (DELETE
// /_admin/ocean/requests); request numbers start again from 1.
func (c *Client) ClearOceanRequests(ctx context.Context) error {
	return c.del(ctx, "ClearOceanRequests", mockocean.AdminPrefix+"/requests")
}

// Conversions lists the conversions the Ocean emulator accepted (GET
// /_admin/ocean/conversions), oldest first.
func (c *Client) Conversions(ctx context.Context) ([]mockocean.Conversion, error) {
	return getMember[[]mockocean.Conversion](ctx, c, "Conversions", mockocean.AdminPrefix+"/conversions", "conversions")
}

// Faults lists the Ocean fault rules, with the requests each has
// answered (Hits).
func (c *Client) Faults(ctx context.Context) ([]mockocean.Fault, error) {
	return getMember[[]mockocean.Fault](ctx, c, "Faults", mockocean.AdminPrefix+"/faults", "faults")
}

// AddFault adds an Ocean fault rule (POST /_admin/ocean/faults) and
// returns it as stored, its ID assigned when f had none. A rule the
// sandbox refuses is an *Error with status 400 naming the field; 409
// when the sandbox holds too many.
func (c *Client) AddFault(ctx context.Context, f mockocean.Fault) (mockocean.Fault, error) {
	var added mockocean.Fault
	err := c.do(ctx, call{op: "AddFault", method: http.MethodPost, path: mockocean.AdminPrefix + "/faults", body: f}, &added)
	return added, err
}

// RemoveFault removes the Ocean fault rule id; an *Error with status 404
// when there is none.
func (c *Client) RemoveFault(ctx context.Context, id string) error {
	return c.del(ctx, "RemoveFault", mockocean.AdminPrefix+"/faults/"+seg(id))
}

// ClearFaults removes every Ocean fault rule.
func (c *Client) ClearFaults(ctx context.Context) error {
	return c.del(ctx, "ClearFaults", mockocean.AdminPrefix+"/faults")
}

// Dedup describes the Ocean duplicate filter (the outer_event_ids it
// remembers).
func (c *Client) Dedup(ctx context.Context) (mockocean.DedupStats, error) {
	var st mockocean.DedupStats
	err := c.get(ctx, "Dedup", mockocean.AdminPrefix+"/dedup", nil, &st)
	return st, err
}

// ClearDedup forgets every outer_event_id the duplicate filter
// remembers: a conversion sent again is no longer a duplicate.
func (c *Client) ClearDedup(ctx context.Context) error {
	return c.del(ctx, "ClearDedup", mockocean.AdminPrefix+"/dedup")
}

// ClickResult is the answer to SendClicks: the report, its one-line
// summary, and Error when some clicks could not be sent (the others
// were).
type ClickResult struct {
	Report  mockocean.ClickReport `json:"report"`
	Summary string                `json:"summary"`
	Error   string                `json:"error,omitempty"`
}

// SendClicks makes the Ocean emulator send generated clicks to an
// advertiser's monitoring URL (POST /_admin/ocean/clicks), as the
// platform does; the conversions that come back with their callbacks
// are attributed. An empty o.CallbackBase lets the sandbox use the
// address the request was sent to. Options the sandbox refuses are an
// *Error with status 400.
func (c *Client) SendClicks(ctx context.Context, o mockocean.ClickOptions) (ClickResult, error) {
	var r ClickResult
	err := c.do(ctx, call{op: "SendClicks", method: http.MethodPost, path: mockocean.AdminPrefix + "/clicks", body: o}, &r)
	return r, err
}

// Clicks lists the clicks the Ocean emulator has sent.
func (c *Client) Clicks(ctx context.Context) ([]mockocean.SentClick, error) {
	return getMember[[]mockocean.SentClick](ctx, c, "Clicks", mockocean.AdminPrefix+"/clicks", "clicks")
}

// MonitorMacros lists the macros a monitoring URL may hold.
func (c *Client) MonitorMacros(ctx context.Context) ([]mockocean.MonitorMacro, error) {
	return getMember[[]mockocean.MonitorMacro](ctx, c, "MonitorMacros", mockocean.AdminPrefix+"/monitor-macros", "macros")
}

// OceanCatalog is the answer to Catalog: the error codes, the event
// types and the parameters the Ocean emulator knows.
type OceanCatalog struct {
	Codes      []mockocean.Rule      `json:"catalog"`
	EventTypes []mockocean.EventType `json:"event_types"`
	Params     []mockocean.Param     `json:"params"`
}

// Catalog reads the Ocean emulator's catalog (GET /_admin/ocean/catalog).
func (c *Client) Catalog(ctx context.Context) (OceanCatalog, error) {
	var cat OceanCatalog
	err := c.get(ctx, "Catalog", mockocean.AdminPrefix+"/catalog", nil, &cat)
	return cat, err
}

// ReportOptions select the window and the form of the lint of the Ocean
// journal (GET /_admin/ocean/report).
type ReportOptions struct {
	// Since and Until bound the requests linted by arrival time: at or
	// after Since, before Until; zero means unbounded.
	Since, Until time.Time
	// Format is the form ReportRaw asks for: json (the default), text,
	// html or junit. Report reads JSON and refuses another.
	Format string
	// FailOn is the severity from which a junit report's testcases
	// fail: error (the default), warning, info or never.
	FailOn string
}

func (o ReportOptions) query() url.Values {
	q := url.Values{}
	for name, t := range map[string]time.Time{"since": o.Since, "until": o.Until} {
		if !t.IsZero() {
			q.Set(name, t.Format(time.RFC3339Nano))
		}
	}
	if o.Format != "" {
		q.Set("format", o.Format)
	}
	if o.FailOn != "" {
		q.Set("fail_on", o.FailOn)
	}
	return q
}

// Report lints the Ocean journal: the findings about the uploader's
// traffic (duplicate outer_event_ids, retries that cannot help, …), the
// answers by code and the event types used. rep.Fails(severity) tells
// whether a CI job should fail.
func (c *Client) Report(ctx context.Context, o ReportOptions) (*mockocean.TrafficReport, error) {
	if o.Format != "" && o.Format != "json" {
		return nil, fmt.Errorf("sandboxclient.Report: format %q: Report reads json; ReportRaw returns the others", o.Format)
	}
	var rep mockocean.TrafficReport
	if err := c.get(ctx, "Report", mockocean.AdminPrefix+"/report", o.query(), &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

// ReportRaw returns the lint of the Ocean journal as the sandbox writes
// it in o.Format (json, text, html or junit): what a CI job stores.
func (c *Client) ReportRaw(ctx context.Context, o ReportOptions) ([]byte, error) {
	return c.raw(ctx, call{op: "ReportRaw", method: http.MethodGet, path: mockocean.AdminPrefix + "/report", query: o.query()})
}
