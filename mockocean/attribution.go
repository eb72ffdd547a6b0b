package mockocean

import (
	"errors"
	"net/url"
	"time"
)

// Attribution is how a conversion matched a click.
type Attribution struct {
	// Attributed says the callback is one this emulator issued; Reason
	// says why not otherwise.
	Attributed bool   `json:"attributed"`
	Reason     string `json:"reason,omitempty"`
	// Click is the click the callback was issued with.
	Click *ClickRef `json:"click,omitempty"`
	// MatchType is the conversion's match_type, or what the click implies
	// (0 click, 1 impression, 2 valid play) when it sent none.
	MatchType int `json:"match_type"`
	// SinceClick is the time from the click to the conversion (conv_time,
	// or the time it arrived).
	SinceClick time.Duration `json:"since_click_ns"`
}

// The answers for conversions that match no click are shared: journal
// entries are never modified.
var (
	unattributedLink    = &Attribution{Reason: "identified by link: a web conversion has no click callback"}
	unattributedForeign = &Attribution{Reason: "unattributed: the callback was not issued by this emulator"}
	unattributedForged  = &Attribution{Reason: "unattributed: the callback is signed with another key (or altered)"}
)

// attribute matches c to the click its callback was issued with.
func (s *Server) attribute(c *Conversion, received time.Time) *Attribution {
	cb := c.Callback
	switch c.CallbackParam {
	case ParamLink:
		return unattributedLink
	case ParamCallbackURL:
		if u, err := url.Parse(cb); err == nil && u.Query().Get(ParamCallback) != "" {
			cb = u.Query().Get(ParamCallback)
		}
	}
	ref, err := s.issuer.Parse(cb)
	switch {
	case errors.Is(err, ErrForged):
		return unattributedForged
	case err != nil:
		return unattributedForeign
	}
	// One allocation for the answer and the click it points to.
	both := &struct {
		a     Attribution
		click ClickRef
	}{click: ref}
	a := &both.a
	*a = Attribution{Attributed: true, Click: &both.click}
	switch {
	case c.MatchType != nil:
		a.MatchType = *c.MatchType
	case ref.Impression:
		a.MatchType = 1
	case ref.Play:
		a.MatchType = 2
	}
	at := received
	if c.ConvTime != nil {
		at = time.Unix(*c.ConvTime, 0)
	}
	a.SinceClick = at.Sub(ref.Time)
	return a
}
