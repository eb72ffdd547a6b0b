package mockocean

import "encoding/json"

// Conversion is a conversion request parsed into typed fields (from
// /track/activate/, or from /api/v2/conversion, API then APIV2). Absent
// optional numbers are nil.
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

	// The fields below are the v2 API's (/api/v2/conversion): API is
	// APIV2 for a v2 conversion, whose EventName is the event name sent
	// (active_pay …), EventType the legacy number of that event (-1 for
	// none), ConvTime its timestamp in seconds and Props its properties.
	API         string `json:"api,omitempty"`
	TimestampMS *int64 `json:"timestamp_ms,omitempty"`
	AndroidID   string `json:"android_id,omitempty"`
	GAID        string `json:"gaid,omitempty"`
	IDFV        string `json:"idfv,omitempty"`
	Platform    string `json:"platform,omitempty"`
	PackageName string `json:"package_name,omitempty"`
	// Debug says the request came with X-Debug-Mode: 1: it is answered
	// as usual and neither uses up nor meets the duplicate filter.
	Debug bool `json:"debug,omitempty"`
}

// Ptr returns a pointer to v, for building expected Conversions in tests.
func Ptr[T any](v T) *T { return &v }
