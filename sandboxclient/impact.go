package sandboxclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact"
)

// ConfigurePostback stores the postback configuration of p.Event (PUT
// /_admin/impact/postbacks/{event}) and returns it as stored. A
// configuration the sandbox refuses is an *Error with status 400 naming
// the field.
func (c *Client) ConfigurePostback(ctx context.Context, p mockimpact.Postback) (mockimpact.Postback, error) {
	var stored mockimpact.Postback
	if p.Event == "" {
		return stored, errors.New("sandboxclient.ConfigurePostback: the postback names no Event")
	}
	err := c.do(ctx, call{op: "ConfigurePostback", method: http.MethodPut,
		path: mockimpact.AdminPrefix + "/postbacks/" + seg(p.Event), body: p}, &stored)
	return stored, err
}

// DeletePostback removes the postback configuration of event: events
// fired later answer 409. An *Error with status 404 when there was none.
func (c *Client) DeletePostback(ctx context.Context, event string) error {
	return c.del(ctx, "DeletePostback", mockimpact.AdminPrefix+"/postbacks/"+seg(event))
}

// Postbacks lists the postback configurations.
func (c *Client) Postbacks(ctx context.Context) ([]mockimpact.Postback, error) {
	return getMember[[]mockimpact.Postback](ctx, c, "Postbacks", mockimpact.AdminPrefix+"/postbacks", "postbacks")
}

// FireOptions shape the events Fire fires. The zero value fires one
// event in its default status, from the sandbox's next seed.
type FireOptions struct {
	// Seed generates the event (same seed, same event); nil lets the
	// sandbox take its next one. Event i of a batch is generated from
	// Seed+i.
	Seed *int64
	// Status is the event's status (REVERSED, APPROVED, …; see
	// fixtures.ImpactStatuses); empty means the event's default.
	Status string
	// Count fires that many events (1 to mockimpact.MaxFireCount); 0
	// means 1.
	Count int
	// Payload, when not nil, is marshalled to a JSON object whose fields
	// replace those of each generated event (map[string]any{"JobId":
	// 777}, or a json.RawMessage); the others are kept.
	Payload any
}

// FireResult is the answer to Fire.
type FireResult struct {
	// DeliveryIDs are the deliveries fired, one per event. When Fire
	// fails part-way through a batch, they are the ones fired before it
	// stopped, which are delivered.
	DeliveryIDs []string
	// Event is the event fired and Seed the seed its first was generated
	// from.
	Event string
	Seed  int64
	// Payload is the event as generated, when one was fired.
	Payload json.RawMessage
}

// Fire fires event (POST /_admin/impact/events/{event}): the sandbox
// generates it and delivers it to the event's postback configuration.
// Failures are *Errors: 404 for an unknown event, 400 for a bad status
// or payload, 409 when the event has no configuration or too many
// deliveries are pending.
func (c *Client) Fire(ctx context.Context, event string, o FireOptions) (FireResult, error) {
	q := url.Values{}
	if o.Seed != nil {
		q.Set("seed", strconv.FormatInt(*o.Seed, 10))
	}
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	if o.Count != 0 {
		q.Set("count", strconv.Itoa(o.Count))
	}
	var body any
	if o.Payload != nil {
		b, err := json.Marshal(o.Payload)
		if err != nil {
			return FireResult{Event: event}, fmt.Errorf("sandboxclient.Fire: payload: %w", err)
		}
		body = json.RawMessage(b)
	}
	var out struct {
		DeliveryID  string          `json:"delivery_id"`
		DeliveryIDs []string        `json:"delivery_ids"`
		Event       string          `json:"event"`
		Seed        int64           `json:"seed"`
		Payload     json.RawMessage `json:"payload"`
	}
	err := c.do(ctx, call{op: "Fire", method: http.MethodPost,
		path: mockimpact.AdminPrefix + "/events/" + seg(event), query: q, body: body}, &out)
	var e *Error
	if errors.As(err, &e) {
		_ = json.Unmarshal(e.Body, &out) // a batch stopped part-way: the ones fired
	}
	r := FireResult{DeliveryIDs: out.DeliveryIDs, Event: event, Seed: out.Seed, Payload: out.Payload}
	if out.DeliveryID != "" {
		r.DeliveryIDs = []string{out.DeliveryID}
	}
	return r, err
}

// ImpactCatalog is the answer to ImpactEvents: the events the
// dispatcher fires, their statuses, the classification of attempts and
// the retry schedule.
type ImpactCatalog struct {
	Events        []fixtures.EventSpec     `json:"events"`
	Statuses      []fixtures.StatusSpec    `json:"statuses"`
	Outcomes      []mockimpact.OutcomeRule `json:"outcomes"`
	RetrySchedule []string                 `json:"retry_schedule"`
}

// ImpactEvents reads the impact catalog (GET /_admin/impact/events).
func (c *Client) ImpactEvents(ctx context.Context) (ImpactCatalog, error) {
	var cat ImpactCatalog
	err := c.get(ctx, "ImpactEvents", mockimpact.AdminPrefix+"/events", nil, &cat)
	return cat, err
}

// DeliveryFilter selects deliveries for Deliveries; zero fields match
// every one.
type DeliveryFilter struct {
	// Event keeps the deliveries of one event (action_lifecycle, …).
	Event string
	// Outcome keeps the deliveries in one state: pending, delivered, …
	Outcome mockimpact.DeliveryOutcome
	// Limit keeps the newest Limit; 0 keeps all.
	Limit int
}

// DeliveryList is the answer to Deliveries: the deliveries that pass the
// filter, how many do (before Limit), and the counts of the whole
// journal.
type DeliveryList struct {
	Count      int                   `json:"count"`
	Stats      mockimpact.Stats      `json:"stats"`
	Deliveries []mockimpact.Delivery `json:"deliveries"`
}

// Deliveries reads the delivery journal (GET /_admin/impact/deliveries).
func (c *Client) Deliveries(ctx context.Context, f DeliveryFilter) (DeliveryList, error) {
	q := url.Values{}
	if f.Event != "" {
		q.Set("event", f.Event)
	}
	if f.Outcome != "" {
		q.Set("outcome", string(f.Outcome))
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var l DeliveryList
	err := c.get(ctx, "Deliveries", mockimpact.AdminPrefix+"/deliveries", q, &l)
	return l, err
}

// Delivery reads one delivery with every attempt made so far; an *Error
// with status 404 when there is none.
func (c *Client) Delivery(ctx context.Context, id string) (mockimpact.Delivery, error) {
	var d mockimpact.Delivery
	err := c.get(ctx, "Delivery", mockimpact.AdminPrefix+"/deliveries/"+seg(id), nil, &d)
	return d, err
}

// waitPoll is how often WaitDelivery first asks, and waitPollMax the
// most it waits between two questions.
const (
	waitPoll    = 10 * time.Millisecond
	waitPollMax = 250 * time.Millisecond
)

// WaitDelivery reads delivery id until it has ended (its Outcome is no
// longer pending) and returns it; or ctx's error, wrapped, with the
// delivery as last read.
func (c *Client) WaitDelivery(ctx context.Context, id string) (mockimpact.Delivery, error) {
	wait := waitPoll
	for {
		d, err := c.Delivery(ctx, id)
		if err != nil || d.Outcome != mockimpact.DeliveryPending {
			return d, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return d, fmt.Errorf("sandboxclient.WaitDelivery: %s: still pending after %d attempts: %w", id, len(d.Attempts), ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, waitPollMax)
	}
}

// Retry makes the next attempt of pending delivery id now (POST
// /_admin/impact/deliveries/{id}/retry) and returns when it is due, on
// the dispatcher's clock. An *Error with status 404 for an unknown
// delivery, 409 when no attempt is waiting.
func (c *Client) Retry(ctx context.Context, id string) (due time.Time, err error) {
	return member[time.Time](ctx, c, call{op: "Retry", method: http.MethodPost, path: mockimpact.AdminPrefix + "/deliveries/" + seg(id) + "/retry"}, "due")
}

// Replay sends delivery id's request again, as a new delivery (POST
// /_admin/impact/deliveries/{id}/replay), and returns the new one's id.
func (c *Client) Replay(ctx context.Context, id string) (string, error) {
	return member[string](ctx, c, call{op: "Replay", method: http.MethodPost, path: mockimpact.AdminPrefix + "/deliveries/" + seg(id) + "/replay"}, "delivery_id")
}

// ClearDeliveries forgets the finished deliveries (DELETE
// /_admin/impact/deliveries); pending ones stay.
func (c *Client) ClearDeliveries(ctx context.Context) error {
	return c.del(ctx, "ClearDeliveries", mockimpact.AdminPrefix+"/deliveries")
}
