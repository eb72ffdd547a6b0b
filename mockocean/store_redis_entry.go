package mockocean

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A journal entry in Redis is "SEQ SIZE DUP PAYLOAD" (see recordScript).
// The payload is the entry's fields in a fixed order, each a netstring
// "LEN:BYTES" after the version tag "n2" (n1, still read, lacks the
// replica): lossless (a body that is not
// UTF-8 comes back byte for byte, which JSON cannot promise), readable
// in redis-cli, and five times cheaper to write than JSON. Entries
// written as JSON by earlier versions (a payload starting with '{') are
// still read.
const entryTag = "n2"

// entryTagV1 is the tag of the payloads written before the replica was
// journaled.
const entryTagV1 = "n1"

// encodeEntry writes e, asked about outer_event_id id, as a payload.
func encodeEntry(e *entry, id string) string {
	b := make([]byte, 0, 96+len(e.raw.Query)+len(e.raw.Body)+len(e.path)+len(e.remote)+len(e.msg)+len(e.detail)+len(id))
	b = append(b, entryTag...)
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
	num(e.time.UnixNano())
	str(e.raw.Method)
	str(e.raw.ContentType)
	str(e.raw.Query)
	str(e.raw.Body)
	flag(e.decoded)
	str(e.path)
	str(e.remote)
	num(int64(e.status))
	num(int64(e.code))
	flag(e.answered)
	str(e.msg)
	str(e.detail)
	str(e.fault)
	list(e.warnings)
	list(e.notes)
	str(id)
	str(e.replica)
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
func decodePayload(p string) (entry, string, error) {
	if strings.HasPrefix(p, "{") {
		return decodeJSONPayload(p)
	}
	rest, v2 := strings.CutPrefix(p, entryTag)
	if !v2 {
		var v1 bool
		if rest, v1 = strings.CutPrefix(p, entryTagV1); !v1 {
			return entry{}, "", fmt.Errorf("payload %.12q: neither %s, %s nor JSON", p, entryTag, entryTagV1)
		}
	}
	r := &entryReader{rest: rest}
	var e entry
	e.time = time.Unix(0, r.num())
	e.raw.Method, e.raw.ContentType, e.raw.Query, e.raw.Body = r.str(), r.str(), r.str(), r.str()
	e.decoded = r.flag()
	e.path, e.remote = r.str(), r.str()
	e.status, e.code = int(r.num()), int(r.num())
	e.answered = r.flag()
	e.msg, e.detail, e.fault = r.str(), r.str(), r.str()
	e.warnings, e.notes = r.list(), r.list()
	id := r.str()
	if v2 {
		e.replica = r.str()
	}
	if r.err == nil && r.rest != "" {
		r.err = fmt.Errorf("%d bytes after the last field", len(r.rest))
	}
	if r.err != nil {
		return entry{}, "", fmt.Errorf("payload: %w", r.err)
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

func decodeJSONPayload(p string) (entry, string, error) {
	var se jsonEntry
	if err := json.Unmarshal([]byte(p), &se); err != nil {
		return entry{}, "", fmt.Errorf("payload: %w", err)
	}
	return entry{time: time.Unix(0, se.Time), raw: Raw{Method: se.Method, ContentType: se.ContentType, Query: se.Query, Body: se.Body},
		decoded: se.Decoded, path: se.Path, remote: se.Remote, status: se.Status, code: se.Code, answered: se.Answered, msg: se.Msg,
		detail: se.Detail, fault: se.Fault, warnings: se.Warnings, notes: se.Notes}, se.ID, nil
}
