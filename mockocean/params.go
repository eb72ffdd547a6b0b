package mockocean

import "slices"

// Param describes one documented request parameter of /track/activate/.
type Param struct {
	// Name is the parameter name on the wire.
	Name string `json:"name"`
	// Required says when the parameter must be present, in words.
	Required string `json:"required"`
	// Meaning is what the Ocean Engine document says it carries.
	Meaning string `json:"meaning"`
	// Example is a value from the Ocean Engine document.
	Example string `json:"example,omitempty"`
}

// Parameter names, used by the decoder, the validator and the journal.
const (
	ParamCallback      = "callback"
	ParamCallbackParam = "callback_param"
	ParamCallbackURL   = "callback_url"
	ParamLink          = "link"
	ParamIMEI          = "imei"
	ParamIDFA          = "idfa"
	ParamOAID          = "oaid"
	ParamOAIDMD5       = "oaid_md5"
	ParamCAID1         = "caid1"
	ParamCAID2         = "caid2"
	ParamOS            = "os"
	ParamMUID          = "muid"
	ParamEventType     = "event_type"
	ParamConvTime      = "conv_time"
	ParamMatchType     = "match_type"
	ParamSource        = "source"
	ParamOuterEventID  = "outer_event_id"
	ParamProps         = "props"
)

// params is the documented parameter list (the Ocean Engine document,
// 参数列表).
var params = []Param{
	{ParamCallback, "yes, for click events (or callback_param / callback_url / link)", "the opaque string issued with the click", "EJiw267wvfQCGKf2g74ZIPD89-vIATAMOAFCIjIwMTkxMTI3MTQxMTEzMDEwMDI2MDc3MjE1MTUwNTczNTBIAQ=="},
	{ParamIMEI, "device info", "md5 of the Android IMEI", "0c2bd03c39f19845bf54ea0abafae70e"},
	{ParamIDFA, "device info", "raw iOS IDFA", "FCD369C3-F622-44B8-AFDE-12065659F34B"},
	{ParamMUID, "device info (with os)", "Android: md5 of the IMEI; iOS: raw IDFA", "FCD369C3-F622-44B8-AFDE-12065659F34B"},
	{ParamOAID, "device info", "raw Android Q OAID", "b305ee2fefddfea2"},
	{ParamOAIDMD5, "no", "md5 of the OAID", "8FCF82C6-47E7-2679-2F44-37405B982580"},
	{ParamCAID1 + ", " + ParamCAID2, "listed as required; not part of the device-info rule", "China Advertising Association ids (caid1 newest)", "f949f306494646edfee1f939698e1fb1"},
	{ParamOS, "device info (with muid)", "0 android, 1 ios", "0"},
	{ParamSource, "no", "data source, advertiser defined", ""},
	{ParamConvTime, "no", "UTC unix seconds of the conversion", "1574758519"},
	{ParamEventType, "yes", "event type, see the enum", "3"},
	{ParamMatchType, "no", "0 click, 1 impression, 2 valid play", "0"},
	{ParamOuterEventID, "no", "dedup id, at most 200 characters", "outer_event_identity"},
	{ParamProps, "no", "URL-encoded JSON object", `{"aaa":"bbb"}`},
}

// callbackParams are the parameters that identify the click, in the order
// they are looked up.
var callbackParams = []string{ParamCallback, ParamCallbackParam, ParamCallbackURL, ParamLink}

// Params returns a copy of the documented parameter list (the Ocean
// Engine document, 参数列表).
func Params() []Param { return slices.Clone(params) }
