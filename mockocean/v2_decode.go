package mockocean

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// V2Field is one field of the v2 request body: its path (keys joined by
// dots) and the JSON kind it has.
type V2Field struct {
	// Path is the field's keys from the top, joined by dots:
	// context.ad.callback.
	Path string `json:"path"`
	// Kind is the JSON kind: string, integer, number, boolean, object or
	// array.
	Kind string `json:"kind"`
	// English says what it is, from the SDK's comments.
	English string `json:"english"`
}

// v2Fields are the v2 body's fields, as the public Go SDK's request model
// has them (docs/platforms.md names it), plus the few that other public
// clients send (outer_event_id, outer_event_identity,
// context.device.platform and idfv): the only list of them. The keys of
// properties are the advertiser's: any is accepted.
var v2Fields = []V2Field{
	{"event_type", "string", "the event: one of the event names"},
	{"event_weight", "number", "the conversion's value, in yuan"},
	{"attribute_label", "string", "only convert"},
	{"biz_type", "integer", "only 4"},
	{"timestamp", "integer", "when the event happened, in milliseconds since 1970"},
	{"source", "string", "the advertiser's name for the data source"},
	{"outer_event_id", "string", "the advertiser's id of the event, for the duplicate filter (sent by some clients, not the SDK)"},
	{"outer_event_identity", "string", "sent by some clients with outer_event_id; journaled, not read"},
	{"context", "object", "the context of the event"},
	{"context.ad", "object", "the ad the conversion is attributed to"},
	{"context.ad.callback", "string", "the click's callback (from __CALLBACK_PARAM__, or a landing page's clickid)"},
	{"context.ad.skuid", "string", "sku id"},
	{"context.ad.match_type", "integer", "0 click, 1 impression, 2 effective play; absent means click"},
	{"context.ad.customer_id", "integer", "the whitelisted customer id reporting"},
	{"context.ad.attributed", "boolean", "true: the advertiser attributed the conversion already"},
	{"context.ad.ad_id", "integer", "ad plan id"},
	{"context.ad.campaign_id", "integer", "ad group id"},
	{"context.ad.advertiser_ids", "array", "ad account ids"},
	{"context.ad.customer_ids", "array", "customer ids"},
	{"context.ad.click_time", "integer", "when the user clicked, in seconds since 1970"},
	{"context.device", "object", "the device, for attribution"},
	{"context.device.imei", "string", "MD5 of the IMEI"},
	{"context.device.idfa", "string", "the IDFA, raw"},
	{"context.device.oaid", "string", "the OAID, raw"},
	{"context.device.gaid", "string", "the Google advertising id"},
	{"context.device.android_id", "string", "the Android id"},
	{"context.device.android_id_md5", "string", "MD5 of the Android id"},
	{"context.device.phone_num_blurred", "string", "the buyer's phone number, blurred or SHA-256"},
	{"context.device.platform", "string", "android or ios (sent by some clients, not the SDK)"},
	{"context.device.idfv", "string", "the IDFV (sent by some clients, not the SDK)"},
	{"context.app", "object", "the app"},
	{"context.app.package_name", "string", "the app's package name"},
	{"properties", "object", "the event's properties (pay_amount in fen, order_id …): the advertiser's keys"},
}

// V2Fields returns a copy of the v2 body's fields.
func V2Fields() []V2Field { return slices.Clone(v2Fields) }

var v2FieldByPath = func() map[string]*V2Field {
	m := make(map[string]*V2Field, len(v2Fields))
	for i := range v2Fields {
		m[v2Fields[i].Path] = &v2Fields[i]
	}
	return m
}()

// v2 request headers, as the public clients send them.
const (
	HeaderV2Signature  = "X-Signature"
	HeaderV2RS256Token = "X-Rs256-Token"
	HeaderV2DebugMode  = "X-Debug-Mode"
	HeaderV2AppToken   = "App-Access-Token"
)

// readV2Headers copies what the v2 checks read of r's headers into raw:
// the signature and the RS256 token as sent, debug mode, and whether an
// App-Access-Token came (never its value: it is a credential).
func readV2Headers(raw *Raw, h http.Header) {
	raw.API = APIV2
	raw.Signature = h.Get(HeaderV2Signature)
	raw.RS256Token = h.Get(HeaderV2RS256Token)
	raw.Debug = strings.TrimSpace(h.Get(HeaderV2DebugMode)) == "1"
	raw.AppToken = h.Get(HeaderV2AppToken) != ""
}

// v2Input is a v2 request decoded for ValidateV2.
type v2Input struct {
	raw Raw
	// values are the known fields' values, by path, as text: strings as
	// they are, numbers as written, booleans true or false, arrays and
	// properties as compact JSON.
	values map[string]string
	// bodyError says why the body is not one JSON object.
	bodyError string
	// kinds are type errors by path: "want a string, got a number".
	kinds map[string]string
	// unknown are the paths of fields the SDK does not have.
	unknown []string
	// notUTF8 are the paths of texts that are not UTF-8.
	notUTF8 []string
	// eventNumber reports that event_type came as a JSON number.
	eventNumber bool
	// props is properties as decoded (nil when absent or not an object).
	props map[string]any
}

// decodeV2 reads raw's JSON body against v2Fields. It is pure, so the
// journal keeps raw and decodes again on read.
func decodeV2(raw Raw) v2Input {
	if in, ok := decodeV2Fast(raw); ok {
		return in
	}
	return decodeV2Slow(raw)
}

// decodeV2Slow is decodeV2 for any body, through encoding/json: it gives
// the errors, and is the reference the fast path is tested against.
func decodeV2Slow(raw Raw) v2Input {
	in := v2Input{raw: raw, values: make(map[string]string, 16)}
	body := []byte(raw.Body)
	if !utf8.Valid(body) {
		in.notUTF8 = append(in.notUTF8, "body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		in.bodyError = fmt.Sprintf("not JSON: %v", strings.TrimPrefix(err.Error(), "json: "))
		if len(bytes.TrimSpace(body)) == 0 {
			in.bodyError = "empty body: want a JSON object"
		}
		return in
	}
	if dec.More() {
		in.bodyError = "data after the JSON object"
		return in
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		in.bodyError = fmt.Sprintf("want a JSON object, got %s", v2Kind(doc))
		return in
	}
	in.walk("", obj)
	slices.Sort(in.unknown)
	slices.Sort(in.notUTF8)
	return in
}

// walk reads the fields of obj, found at prefix.
func (in *v2Input) walk(prefix string, obj map[string]any) {
	// In key order: a dotted key ("ad.callback") can name the same path
	// as nested ones, and the value read must not depend on map order.
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if !utf8.ValidString(k) {
			in.notUTF8 = append(in.notUTF8, path)
		}
		f, known := v2FieldByPath[path]
		if !known {
			in.unknown = append(in.unknown, path)
			continue
		}
		got := v2Kind(v)
		switch {
		case path == "event_type" && got == "integer":
			in.eventNumber = true
		case got == "null":
			continue // as if absent
		case got != f.Kind && !(f.Kind == "number" && got == "integer"):
			if in.kinds == nil {
				in.kinds = map[string]string{}
			}
			in.kinds[path] = fmt.Sprintf("want %s %s, got %s", article(f.Kind), f.Kind, got)
			continue
		}
		switch v := v.(type) {
		case string:
			if !utf8.ValidString(v) {
				in.notUTF8 = append(in.notUTF8, path)
			}
			in.values[path] = v
		case json.Number:
			in.values[path] = v.String()
		case bool:
			in.values[path] = fmt.Sprint(v)
		case map[string]any:
			if path == "properties" {
				b, _ := json.Marshal(v) // keys sorted: one text for one object
				in.values[path], in.props = string(b), v
				continue
			}
			in.walk(path, v)
		case []any:
			b, _ := json.Marshal(v)
			in.values[path] = string(b)
		}
	}
}

// v2Kind names the JSON kind of a value decoded with UseNumber.
func v2Kind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func article(kind string) string {
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an"
	}
	return "a"
}
