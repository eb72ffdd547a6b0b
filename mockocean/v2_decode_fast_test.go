package mockocean

import (
	"reflect"
	"testing"
)

// v2Bodies are v2 bodies as the SDK and other clients send them, and the
// unusual ones the fast path must decode as encoding/json does or leave
// to it.
var v2Bodies = []string{
	`{"event_type":"active_pay","context":{"ad":{"callback":"cb","attributed":false},"device":{"imei":"0c2bd03c39f19845bf54ea0abafae70e"}},"properties":{"pay_amount":600},"timestamp":1764988800123,"outer_event_id":"e-1"}`,
	"{\n  \"event_type\": \"active\",\n  \"context\": {\"ad\": {\"callback\": \"B.cb\", \"match_type\": 1}},\n  \"timestamp\": 1764988800123\n}",
	`{"event_type":2,"context":{"ad":{"callback":"cb"}},"timestamp":1}`,
	`{"event_type":"active","context":{"ad":{"callback":"c\"b\u00e9"},"device":{"idfa":"X","platform":"ios"}},"timestamp":1.0}`,
	`{"event_type":"active","context":{"ad":{"callback":"cb","advertiser_ids":[1, 2 ,3],"customer_ids":[]}},"timestamp":1e3}`,
	`{"event_type":"active","properties":{"b":"<&>","a":{"z":1,"y":[true,null]},"n":-0.50}}`,
	`{"event_type":"active","properties":"not an object","context":"nor this","timestamp":"1"}`,
	`{"event_type":null,"context":{"ad":null,"device":{"imei":null}},"unknown":{"deep":1},"x":null}`,
	`{"event_type":"active","context":{"ad":{"callback":"a"},"ad":{"skuid":"b"}}}`,
	`{"event_type":"a","event_type":"b"}`,
	`{"k\u00e9y":"v"}`,
	`{"event_type":"active","timestamp":99999999999999999999,"event_weight":12,"biz_type":4.5}`,
	`{}`, `[]`, `null`, `"x"`, ``, `  `, `{"a":1}{"b":2}`, `{"a":1,}`, "{\"event_type\":\"\xff\"}",
	`{"context":{"app":{"package_name":"com.x"},"device":{"android_id_md5":"m","phone_num_blurred":"p"}},"source":"s","attribute_label":"convert"}`,
	`{"properties":{"a":1,"a!":2,"a b":3,"b":"x","":null,"t":true,"f":false,"n":-0.5e-3}}`,
	`{"properties":{"lt":"<","amp":"a&b","ls":"` + " " + `","ctl":"	","q":"a"b","ké":1,"é":"ü"}}`,
	`{"properties":{"a":1,"a":2}}`,
	`{"properties":{"1":1,"2":2,"3":3,"4":4,"5":5,"6":6,"7":7,"8":8,"9":9,"10":10,"11":11,"12":12,"13":13,"14":14,"15":15,"16":16,"17":17}}`,
	`{"properties":{"order_id":"o-1","pay_amount":600,"order_amount":-1}}`,
	`{"properties":{ }}`,
	`{"context":{"ad.callback":"a","ad":{"callback":"b"}}}`,
	`{"context":{"ad":{"callback":"b"},"ad.callback":"a"},"context.ad.skuid":"s"}`,
}

// TestV2FastDecodeIsTheSlowOne: on every body, the fast path, when it
// takes the body, decodes it as encoding/json does; and it takes what
// clients send.
func TestV2FastDecodeIsTheSlowOne(t *testing.T) {
	taken := 0
	for _, body := range v2Bodies {
		if sameV2Decode(t, body) {
			taken++
		}
	}
	for _, body := range v2Bodies[:6] {
		if _, ok := decodeV2Fast(Raw{Method: "POST", Body: body, API: APIV2}); !ok {
			t.Errorf("%q: left to encoding/json, a body a client sends", body)
		}
	}
	if taken < 10 {
		t.Errorf("the fast path took %d of %d bodies", taken, len(v2Bodies))
	}
}

// FuzzV2FastDecode: whenever the fast path takes a body, it decodes it
// as encoding/json does.
func FuzzV2FastDecode(f *testing.F) {
	for _, body := range v2Bodies {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) { sameV2Decode(t, body) })
}

// sameV2Decode fails t when the fast path takes body and decodes it
// otherwise than the slow one; it reports whether the fast path took it.
func sameV2Decode(t *testing.T, body string) bool {
	t.Helper()
	raw := Raw{Method: "POST", ContentType: "application/json", Body: body, API: APIV2}
	fast, ok := decodeV2Fast(raw)
	if !ok {
		return false
	}
	slow := decodeV2Slow(raw)
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q:\nfast %+v\nslow %+v", body, fast, slow)
	}
	return true
}

// TestV2DottedKeyReadsTheSameEveryTime: a dotted key naming the same path
// as nested keys is read the same way on every decode, whatever the
// order Go's maps hand the keys out in.
func TestV2DottedKeyReadsTheSameEveryTime(t *testing.T) {
	raw := Raw{Method: "POST", Body: `{"context":{"ad.callback":"a","ad":{"callback":"b"}}}`, API: APIV2}
	first := decodeV2(raw).values["context.ad.callback"]
	for range 200 {
		if got := decodeV2(raw).values["context.ad.callback"]; got != first {
			t.Fatalf("context.ad.callback read as %q, then %q", first, got)
		}
	}
}
