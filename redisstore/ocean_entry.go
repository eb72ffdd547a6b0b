package redisstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/mockocean"
)

// A journal entry in Redis is "SEQ SIZE DUP PAYLOAD" (see recordScript).
// The payload is the entry's fields in a fixed order, each a netstring
// "LEN:BYTES" after the version tag "n2" (a /track/activate/ request),
// or "n3" (a v2 request: n2's fields, then the API, the x-signature and
// x-rs256-token headers, debug mode and whether an App-Access-Token
// came); n1, still read, lacks the replica. Netstrings are lossless (a
// body that is not UTF-8 comes back byte for byte, which JSON cannot
// promise), readable in redis-cli, and five times cheaper to write than
// JSON. Entries written as JSON by earlier versions (a payload starting
// with '{') are still read.
const entryTag = "n2"

// entryTagV2API is the tag of a v2 request's payload.
const entryTagV2API = "n3"

// entryTagV1 is the tag of the payloads written before the replica was
// journaled.
const entryTagV1 = "n1"

// encodeEntry writes e, asked about outer_event_id id, as a payload.
func encodeEntry(e *mockocean.Entry, id string) string {
	b := make([]byte, 0, 96+len(e.Raw.Query)+len(e.Raw.Body)+len(e.Path)+len(e.Remote)+len(e.Msg)+len(e.Detail)+len(id)+
		len(e.Raw.Signature)+len(e.Raw.RS256Token))
	v2 := e.Raw.API != ""
	if v2 {
		b = append(b, entryTagV2API...)
	} else {
		b = append(b, entryTag...)
	}
	str := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	num := func(n int64) {
		var d [20]byte
		str(string(strconv.AppendInt(d[:0], n, 10)))
	}
	flag := func(v bool) {
		if v {
			str("1")
		} else {
			str("0")
		}
	}
	list := func(l []string) {
		num(int64(len(l)))
		for _, s := range l {
			str(s)
		}
	}
	num(e.Time.UnixNano())
	str(e.Raw.Method)
	str(e.Raw.ContentType)
	str(e.Raw.Query)
	str(e.Raw.Body)
	flag(e.Decoded)
	str(e.Path)
	str(e.Remote)
	num(int64(e.Status))
	num(int64(e.Code))
	flag(e.Answered)
	str(e.Msg)
	str(e.Detail)
	str(e.Fault)
	list(e.Warnings)
	list(e.Notes)
	str(id)
	str(e.Replica)
	if v2 {
		str(e.Raw.API)
		str(e.Raw.Signature)
		str(e.Raw.RS256Token)
		flag(e.Raw.Debug)
		flag(e.Raw.AppToken)
	}
	return string(b)
}

// entryReader reads a payload's netstrings in order; the first error
// sticks.
type entryReader struct {
	rest string
	err  error
}

func (r *entryReader) str() string {
	if r.err != nil {
		return ""
	}
	n, after, ok := strings.Cut(r.rest, ":")
	size, err := strconv.Atoi(n)
	if !ok || err != nil || size < 0 || size > len(after) {
		r.err = errors.New("not a LEN:BYTES field")
		return ""
	}
	r.rest = after[size:]
	return after[:size]
}

func (r *entryReader) num() int64 {
	s := r.str()
	if r.err != nil {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.err = fmt.Errorf("field %q: not a number", s)
	}
	return n
}

func (r *entryReader) flag() bool { return r.str() == "1" }

func (r *entryReader) list() []string {
	n := r.num()
	if n < 0 || n > int64(len(r.rest)) { // each item takes at least 2 bytes
		r.err = fmt.Errorf("list of %d items", n)
	}
	if r.err != nil || n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

// decodePayload reads a payload written by encodeEntry (or the JSON of
// earlier versions), returning the entry and the id it was asked about.
func decodePayload(p string) (mockocean.Entry, string, error) {
	if strings.HasPrefix(p, "{") {
		return decodeJSONPayload(p)
	}
	rest, v2 := strings.CutPrefix(p, entryTag)
	rest3, v3 := strings.CutPrefix(p, entryTagV2API)
	switch {
	case v3:
		rest = rest3
	case !v2:
		var v1 bool
		if rest, v1 = strings.CutPrefix(p, entryTagV1); !v1 {
			return mockocean.Entry{}, "", fmt.Errorf("payload %.12q: neither %s, %s, %s nor JSON", p, entryTag, entryTagV2API, entryTagV1)
		}
	}
	r := &entryReader{rest: rest}
	var e mockocean.Entry
	e.Time = time.Unix(0, r.num())
	e.Raw.Method, e.Raw.ContentType, e.Raw.Query, e.Raw.Body = r.str(), r.str(), r.str(), r.str()
	e.Decoded = r.flag()
	e.Path, e.Remote = r.str(), r.str()
	e.Status, e.Code = int(r.num()), int(r.num())
	e.Answered = r.flag()
	e.Msg, e.Detail, e.Fault = r.str(), r.str(), r.str()
	e.Warnings, e.Notes = r.list(), r.list()
	id := r.str()
	if v2 || v3 {
		e.Replica = r.str()
	}
	if v3 {
		e.Raw.API, e.Raw.Signature, e.Raw.RS256Token = r.str(), r.str(), r.str()
		e.Raw.Debug, e.Raw.AppToken = r.flag(), r.flag()
	}
	if r.err == nil && r.rest != "" {
		r.err = fmt.Errorf("%d bytes after the last field", len(r.rest))
	}
	if r.err != nil {
		return mockocean.Entry{}, "", fmt.Errorf("payload: %w", r.err)
	}
	return e, id, nil
}

// jsonEntry is the payload of the versions before entryTag.
type jsonEntry struct {
	Time        int64    `json:"t"`
	Method      string   `json:"m,omitempty"`
	ContentType string   `json:"ct,omitempty"`
	Query       string   `json:"q,omitempty"`
	Body        string   `json:"b,omitempty"`
	Decoded     bool     `json:"d,omitempty"`
	Path        string   `json:"p,omitempty"`
	Remote      string   `json:"r,omitempty"`
	Status      int      `json:"s,omitempty"`
	Code        int      `json:"c,omitempty"`
	Answered    bool     `json:"a,omitempty"`
	Msg         string   `json:"msg,omitempty"`
	Detail      string   `json:"det,omitempty"`
	Fault       string   `json:"f,omitempty"`
	Warnings    []string `json:"w,omitempty"`
	Notes       []string `json:"n,omitempty"`
	ID          string   `json:"i,omitempty"`
}

func decodeJSONPayload(p string) (mockocean.Entry, string, error) {
	var se jsonEntry
	if err := json.Unmarshal([]byte(p), &se); err != nil {
		return mockocean.Entry{}, "", fmt.Errorf("payload: %w", err)
	}
	return mockocean.Entry{Time: time.Unix(0, se.Time), Raw: mockocean.Raw{Method: se.Method, ContentType: se.ContentType, Query: se.Query, Body: se.Body},
		Decoded: se.Decoded, Path: se.Path, Remote: se.Remote, Status: se.Status, Code: se.Code, Answered: se.Answered, Msg: se.Msg,
		Detail: se.Detail, Fault: se.Fault, Warnings: se.Warnings, Notes: se.Notes}, se.ID, nil
}
