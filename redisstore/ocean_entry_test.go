package redisstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/mockocean"
)

// sampleEntries are journal entries with every field set, empty ones,
// bytes that are not UTF-8, separators inside values and lists.
func sampleEntries() []mockocean.Entry {
	return []mockocean.Entry{
		{Time: time.Unix(0, 1_700_000_000_123_456_789), Raw: mockocean.Raw{Method: "POST", ContentType: "application/json", Query: "a=1:2", Body: `{"x":"y 1:2"}`},
			Decoded: true, Path: "/track/activate/", Remote: "127.0.0.1:5000", Status: 200, Code: 40004, Answered: true, Msg: "重复的请求",
			Detail: "d", Fault: "f1", Warnings: []string{"w1", "", "3:abc"}, Notes: []string{"n"}, Replica: "host-1:42"},
		{Time: time.Unix(0, 0)},
		{Time: time.Unix(0, -5), Raw: mockocean.Raw{Body: "\xff\xfe\x00 not UTF-8 \r\n"}, Status: -1, Code: -40002, Warnings: []string{"\xc3"}},
		{Time: time.Unix(0, 7), Raw: mockocean.Raw{Method: "POST", Body: `{"event_type":"active"}`, API: mockocean.APIV2, Signature: "ab:12",
			RS256Token: "credential=primary&timestamp=1&signature=a+b/c=", Debug: true, AppToken: true}, Status: 200, Code: 41011, Answered: true},
	}
}

// TestEntryPayloadRoundTrip: what encodeEntry writes decodePayload reads
// back exactly, bytes that are not UTF-8 included (JSON turned them into
// U+FFFD).
func TestEntryPayloadRoundTrip(t *testing.T) {
	for i, e := range sampleEntries() {
		for _, id := range []string{"", "o1", "id with 3:colons\xff"} {
			got, gotID, err := decodePayload(encodeEntry(&e, id))
			if err != nil {
				t.Fatalf("entry %d, id %q: %v", i, id, err)
			}
			if gotID != id {
				t.Errorf("entry %d: id %q, want %q", i, gotID, id)
			}
			if !reflect.DeepEqual(got, e) {
				t.Errorf("entry %d, id %q:\n got %+v\nwant %+v", i, id, got, e)
			}
		}
	}
}

// TestEntryPayloadJSON: entries that earlier versions wrote as JSON are
// still read.
func TestEntryPayloadJSON(t *testing.T) {
	legacy, err := json.Marshal(jsonEntry{Time: 42, Method: "GET", Query: "q=1", Status: 200, Code: 40002, Answered: true, Msg: "m",
		Warnings: []string{"w"}, ID: "o9"})
	if err != nil {
		t.Fatal(err)
	}
	e, id, err := decodePayload(string(legacy))
	want := mockocean.Entry{Time: time.Unix(0, 42), Raw: mockocean.Raw{Method: "GET", Query: "q=1"}, Status: 200, Code: 40002, Answered: true, Msg: "m", Warnings: []string{"w"}}
	if err != nil || id != "o9" || !reflect.DeepEqual(e, want) {
		t.Fatalf("legacy JSON read as %+v, %q, %v; want %+v, o9", e, id, err, want)
	}
}

// TestEntryPayloadV1: entries written before the replica was journaled
// (tag n1) are still read, without one.
func TestEntryPayloadV1(t *testing.T) {
	e := sampleEntries()[0]
	e.Replica = ""
	v2 := encodeEntry(&e, "o1")
	v1 := entryTagV1 + strings.TrimSuffix(v2[len(entryTag):], "0:")
	got, id, err := decodePayload(v1)
	if err != nil || id != "o1" || !reflect.DeepEqual(got, e) {
		t.Fatalf("n1 payload read as %+v, %q, %v; want %+v", got, id, err, e)
	}
}

// TestEntryPayloadDamaged: a cut or altered payload is an error naming
// what is wrong, never a panic or a half-read entry.
func TestEntryPayloadDamaged(t *testing.T) {
	e := sampleEntries()[0]
	good := encodeEntry(&e, "o1")
	for _, p := range []string{"", "n9" + good[2:], good[:len(good)-1], good + "x", "n2x:", "n2-1:", "n299:abc", "{not json"} {
		if _, _, err := decodePayload(p); err == nil {
			t.Errorf("payload %.40q: no error", p)
		}
	}
	for _, el := range []string{"1 2", "x 2 0 " + good, "1 2 " + good} {
		if _, err := decodeEntry(el); err == nil || !strings.Contains(err.Error(), "SEQ SIZE DUP PAYLOAD") {
			t.Errorf("element %.30q: %v; want it named not SEQ SIZE DUP PAYLOAD", el, err)
		}
	}
	if got, err := decodeEntry("7 2 1 " + good); err != nil || got.Seq != 7 || got.Code != mockocean.CodeDuplicate {
		t.Errorf("a duplicate's element read as %+v, %v", got, err)
	}
}

// FuzzEntryPayload: any payload decodes without a panic, and any entry
// made of the fuzzer's strings survives a round trip.
func FuzzEntryPayload(f *testing.F) {
	for _, e := range sampleEntries() {
		f.Add(encodeEntry(&e, "o1"), e.Raw.Body, e.Detail)
	}
	f.Fuzz(func(t *testing.T, payload, body, s string) {
		_, _, _ = decodePayload(payload)
		e := mockocean.Entry{Time: time.Unix(0, int64(len(payload))), Raw: mockocean.Raw{Body: body, Query: s}, Msg: payload, Warnings: []string{s, body}}
		got, id, err := decodePayload(encodeEntry(&e, s))
		if err != nil || id != s || !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip: %+v %q %v, want %+v %q", got, id, err, e, s)
		}
	})
}
