package mockocean

import "encoding/json"

// Conversion is a request to /track/activate/ parsed into typed fields.
// Absent optional numbers are nil.
type Conversion struct {
	// Callback is the value that identifies the click, and CallbackParam
	// the parameter it came in (callback, callback_param, callback_url or
	// link).
	Callback      string `json:"callback"`
	CallbackParam string `json:"callback_param"`

	IMEI    string `json:"imei,omitempty"`
	IDFA    string `json:"idfa,omitempty"`
	OAID    string `json:"oaid,omitempty"`
	OAIDMD5 string `json:"oaid_md5,omitempty"`
	CAID1   string `json:"caid1,omitempty"`
	CAID2   string `json:"caid2,omitempty"`
	MUID    string `json:"muid,omitempty"`
	// OS is 0 for Android, 1 for iOS.
	OS *int `json:"os,omitempty"`

	// EventType is the event_type value and EventName its documented name.
	EventType int    `json:"event_type"`
	EventName string `json:"event_name"`
	// ConvTime is conv_time in unix seconds; a milliseconds value accepted
	// in default mode is converted (truncated) to seconds.
	ConvTime  *int64 `json:"conv_time,omitempty"`
	MatchType *int   `json:"match_type,omitempty"`

	Source       string `json:"source,omitempty"`
	OuterEventID string `json:"outer_event_id,omitempty"`
	// Props is the props JSON object, compacted.
	Props json.RawMessage `json:"props,omitempty"`
	// Extra holds the parameters the Ocean Engine document does not list, as
	// received.
	Extra map[string]string `json:"extra,omitempty"`
}

// Ptr returns a pointer to v, for building expected Conversions in tests.
func Ptr[T any](v T) *T { return &v }
