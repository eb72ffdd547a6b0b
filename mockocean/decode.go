package mockocean

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Input is one request's parameters after decoding, whatever the method or
// encoding. Validate reads nothing else.
type Input struct {
	// Values maps each parameter name to its value as received (the first
	// one when repeated). An empty value counts as absent.
	Values map[string]string
	// BodyError is set when the body (or query string) could not be
	// parsed; Validate answers CodeInvalidBody.
	BodyError string
	// Notes are remarks on the decoding that never change the answer.
	Notes []string
	// NotUTF8 names the parameters whose name or value is not UTF-8 (a
	// JSON string's invalid bytes included, which JSON decoding would
	// replace), sorted. Validate answers CodeEncoding, or warns in
	// lenient mode.
	NotUTF8 []string
	// NotEncoded names the parameters of the URL whose name or value
	// holds non-ASCII characters sent raw, not URL-encoded, in the order
	// sent. Validate answers CodeEncoding, or warns in lenient mode.
	NotEncoded []string
	// PostQuery names the parameters of a POST's query string, sorted. In
	// lenient mode they are in Values (the body wins); otherwise they are
	// not, and Validate answers CodeInvalidBody.
	PostQuery []string
}

// ErrBodyTooLarge is returned by Decode for a body over the limit.
var ErrBodyTooLarge = errors.New("request body too large")

// Raw is a request as received, before decoding: what the journal keeps.
type Raw struct {
	Method      string
	ContentType string
	Query       string
	Body        string
	// API is APIV2 for /api/v2/conversion; empty for /track/activate/.
	API string
	// Signature and RS256Token are the v2 request's x-signature and
	// x-rs256-token headers as sent; Debug is its X-Debug-Mode: 1;
	// AppToken says that an App-Access-Token came (its value, a
	// credential, is not kept).
	Signature, RS256Token string
	Debug, AppToken       bool
}

// Decode reads r's parameters: the query string for GET; for POST the body
// (form, multipart or JSON object) and, in lenient mode, the query
// string too (the body wins). maxBody bounds the body in bytes.
func Decode(r *http.Request, maxBody int64, lenient bool) (Input, error) {
	raw, err := ReadRaw(r, maxBody)
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return Input{Values: map[string]string{}}, err
	case err != nil:
		return Input{Values: map[string]string{}, BodyError: err.Error()}, nil
	}
	return raw.Decode(lenient), nil
}

// ReadRaw reads what decoding needs from r: method, content type, query
// and body (POST only), the body bounded by maxBody.
func ReadRaw(r *http.Request, maxBody int64) (Raw, error) {
	raw, _, err := readRaw(r, maxBody)
	return raw, err
}

// readRaw is ReadRaw that also returns the body's bytes (raw.Body is the
// same text), for decoding to scan without copying them again.
func readRaw(r *http.Request, maxBody int64) (Raw, []byte, error) {
	raw := Raw{Method: r.Method, ContentType: r.Header.Get("Content-Type"), Query: r.URL.RawQuery}
	if r.Method != http.MethodPost {
		return raw, nil, nil
	}
	body, err := readBody(r.Body, r.ContentLength, maxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return raw, nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, tooLarge.Limit)
		}
		return raw, nil, fmt.Errorf("reading body: %w", err)
	}
	raw.Body = string(body)
	return raw, body, nil
}

// readBody reads a body of at most maxBody bytes: of a small announced
// length (up to upfrontBody) in one buffer of that size, as uploaders
// send it; otherwise (larger, chunked, announced over the bound, or a
// length of 0, which a request made with http.NewRequest also has for a
// body of unknown length) through http.MaxBytesReader, growing as bytes
// arrive, so that a client announcing a large body and sending little
// holds little.
// upfrontBody is the largest announced body read into a buffer made
// before it arrives.
const upfrontBody = 16 << 10

func readBody(body io.ReadCloser, length, maxBody int64) ([]byte, error) {
	if length <= 0 || length > min(maxBody, upfrontBody) {
		return io.ReadAll(http.MaxBytesReader(nil, body, maxBody))
	}
	buf := make([]byte, length)
	if _, err := io.ReadFull(body, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // announced, not sent
		}
		return nil, err
	}
	return buf, nil
}

// Decode turns the raw request into one parameter set. It is pure: the
// same Raw always decodes the same way, which lets the journal keep Raw
// and decode on read. In lenient mode a POST's query string is read too,
// and otherwise an ext object holding documented parameters gets a note
// that they are not read.
func (raw Raw) Decode(lenient bool) Input {
	return raw.decodeBytes(lenient, nil)
}

// decodeBytes is Decode, given the body's bytes when the caller has them
// (nil: converted from raw.Body when needed).
func (raw Raw) decodeBytes(lenient bool, body []byte) Input {
	in, checked := raw.decode(lenient, body)
	if checked {
		slices.Sort(in.NotUTF8)
	} else {
		in.findNotUTF8()
	}
	if !lenient {
		if names := extHolds(in.Values); len(names) > 0 {
			in.Notes = append(in.Notes, fmt.Sprintf("the ext object holds %s, which the document sends as parameters of their own: not read (--lenient reads them)", strings.Join(names, ", ")))
		}
	}
	return in
}

// decode reads the parameters; checked reports that every value came
// through parseQuery, which marks NotUTF8 as it goes (then only sorting
// is left to do).
func (raw Raw) decode(lenient bool, body []byte) (in Input, checked bool) {
	in = Input{Values: make(map[string]string, 8)}
	if raw.Method != http.MethodPost {
		if err := in.parseQuery(raw.Query, "query"); err != nil {
			in.BodyError = fmt.Sprintf("malformed query string: %v", err)
		}
		in.NotEncoded = notEncoded(raw.Query)
		return in, true
	}
	form, err := in.decodeBody(raw.ContentType, bodyText{raw.Body, body})
	if err != nil {
		in.BodyError = err.Error()
	}
	if raw.Query == "" {
		return in, form
	}
	{
		q := Input{Values: map[string]string{}}
		qerr := q.parseQuery(raw.Query, "query string")
		in.PostQuery = slices.Sorted(maps.Keys(q.Values))
		if !lenient {
			return in, form // Validate rejects the request: the parameters belong in the body
		}
		in.NotEncoded = notEncoded(raw.Query)
		for k, v := range q.Values {
			if _, inBody := in.Values[k]; !inBody {
				in.Values[k] = v
			}
		}
		in.Notes = append(in.Notes, q.Notes...)
		if qerr != nil && in.BodyError == "" {
			in.BodyError = fmt.Sprintf("malformed query string: %v", qerr)
		}
	}
	return in, false
}

// notEncoded names the parameters of a raw query string whose text holds
// a byte outside ASCII, each once, in the order sent.
func notEncoded(query string) []string {
	if !hasNonASCII(query) {
		return nil
	}
	var names []string
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if !hasNonASCII(pair) {
			continue
		}
		k, _, _ := strings.Cut(pair, "=")
		if name, err := url.QueryUnescape(k); err == nil {
			k = name
		}
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	return names
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// findNotUTF8 adds to NotUTF8 the parameters whose name or value is not
// UTF-8, and sorts it.
func (in *Input) findNotUTF8() {
	for k, v := range in.Values {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			in.markNotUTF8(k)
		}
	}
	slices.Sort(in.NotUTF8)
}

func (in *Input) markNotUTF8(k string) {
	if !slices.Contains(in.NotUTF8, k) {
		in.NotUTF8 = append(in.NotUTF8, k)
	}
}

// bodyText is a body as a string, and the same bytes when the caller
// has them: values are cut from the string, without copying, and only a
// JSON body's validation needs the bytes.
type bodyText struct {
	s string
	b []byte // nil: made from s when needed
}

func (t bodyText) bytes() []byte {
	if t.b == nil {
		return []byte(t.s)
	}
	return t.b
}

// trimSpace is bytes.TrimSpace on both forms.
func (t bodyText) trimSpace() bodyText {
	trimmed := strings.TrimSpace(t.s)
	if len(trimmed) == len(t.s) {
		return t
	}
	// The text left starts at the first byte that is not space, so its
	// first occurrence is there.
	i := strings.Index(t.s, trimmed)
	out := bodyText{s: trimmed}
	if t.b != nil {
		out.b = t.b[i : i+len(trimmed)]
	}
	return out
}

// decodeBody reads a POST body; form reports that it was read as a form
// (through parseQuery).
func (in *Input) decodeBody(ctype string, body bodyText) (form bool, err error) {
	media := ""
	if ctype != "" {
		mt, params, err := parseMediaType(ctype)
		if err != nil {
			return false, fmt.Errorf("Content-Type %q: %w", ctype, err)
		}
		media = mt
		if media == "multipart/form-data" {
			return false, in.decodeMultipart(body.s, params["boundary"])
		}
	}
	trimmed := body.trimSpace()
	switch {
	case len(trimmed.s) == 0:
		return true, nil
	case media == "application/json" || strings.HasSuffix(media, "+json"):
		return false, in.decodeJSON(trimmed)
	case media == "application/x-www-form-urlencoded":
		return true, in.decodeForm(trimmed.s)
	case trimmed.s[0] == '{':
		if media != "" {
			in.Notes = append(in.Notes, fmt.Sprintf("Content-Type %s: body read as JSON", media))
		}
		return false, in.decodeJSON(trimmed)
	default:
		if media != "" {
			in.Notes = append(in.Notes, fmt.Sprintf("Content-Type %s: body read as a form", media))
		}
		return true, in.decodeForm(trimmed.s)
	}
}

// parseMediaType is mime.ParseMediaType, without its allocations for the
// two content types uploaders send.
func parseMediaType(ctype string) (string, map[string]string, error) {
	switch ctype {
	case "application/json", "application/x-www-form-urlencoded":
		return ctype, nil, nil
	}
	return mime.ParseMediaType(ctype)
}

func (in *Input) decodeForm(body string) error {
	if err := in.parseQuery(body, "body"); err != nil {
		return fmt.Errorf("form body: %w", err)
	}
	return nil
}

// parseQuery reads a URL-encoded key=value&… string into Values, keeping
// the first value of a repeated key, with url.ParseQuery's rules. It
// reads every well-formed pair and returns the first error.
func (in *Input) parseQuery(raw, where string) error {
	var firstErr error
	var repeated map[string]int
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		plain := plainPair(pair)
		if !plain {
			if strings.IndexByte(pair, ';') >= 0 {
				if firstErr == nil {
					firstErr = errors.New("invalid semicolon separator in query")
				}
				continue
			}
			var err1, err2 error
			k, err1 = url.QueryUnescape(k)
			v, err2 = url.QueryUnescape(v)
			if err := errors.Join(err1, err2); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
		}
		if _, dup := in.Values[k]; dup {
			if repeated == nil {
				repeated = map[string]int{}
			}
			repeated[k]++
			continue
		}
		if !plain && (!utf8.ValidString(k) || !utf8.ValidString(v)) {
			in.markNotUTF8(k)
		}
		in.Values[k] = v
	}
	if len(repeated) == 0 {
		return firstErr // the common case: nothing to sort, nothing to allocate
	}
	for _, k := range slices.Sorted(maps.Keys(repeated)) {
		in.Notes = append(in.Notes, fmt.Sprintf("parameter %q repeated %d times in the %s; the first value is used", k, repeated[k]+1, where))
	}
	return firstErr
}

// plainPair reports whether a query pair reads as it is written: no
// escape, no plus, no separator to refuse, nothing outside ASCII.
func plainPair(pair string) bool {
	for i := 0; i < len(pair); i++ {
		switch c := pair[i]; {
		case c == '%', c == '+', c == ';', c >= utf8.RuneSelf:
			return false
		}
	}
	return true
}

func (in *Input) decodeMultipart(body string, boundary string) error {
	if boundary == "" {
		return errors.New("multipart body without a boundary")
	}
	req := &http.Request{
		Method: http.MethodPost,
		Header: http.Header{"Content-Type": {"multipart/form-data; boundary=" + boundary}},
		Body:   io.NopCloser(strings.NewReader(body)),
	}
	if err := req.ParseMultipartForm(int64(len(body)) + 1); err != nil {
		return fmt.Errorf("multipart body: %w", err)
	}
	in.addAll(req.MultipartForm.Value, "body")
	return nil
}

// decodeJSON reads a JSON object. Strings are taken as they are, numbers
// by their text, booleans as true/false, null as absent, and objects and
// arrays as their compact JSON text. A repeated key keeps its first value,
// as in a query or form, and is noted.
func (in *Input) decodeJSON(body bodyText) error {
	b := body.bytes()
	if in.decodeJSONFast(b, body.s) {
		return nil
	}
	return in.decodeJSONTokens(b)
}

// decodeJSONTokens is decodeJSON for any body, through encoding/json's
// tokenizer: it gives the errors, and is the reference the fast path is
// tested against.
func (in *Input) decodeJSONTokens(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("JSON body: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if tok == nil {
			return errors.New("JSON body: null is not an object")
		}
		return fmt.Errorf("JSON body: %s is not an object", jsonKind(tok))
	}
	var repeated map[string]int
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("JSON body: %w", err)
		}
		k, _ := tok.(string) // object keys are strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("JSON body: field %q: %w", k, err)
		}
		if seen[k] {
			if repeated == nil {
				repeated = map[string]int{}
			}
			repeated[k]++
			continue
		}
		seen[k] = true
		if err := in.setJSON(k, string(bytes.TrimSpace(raw))); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return fmt.Errorf("JSON body: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("JSON body: data after the object")
	}
	for _, k := range slices.Sorted(maps.Keys(repeated)) {
		in.Notes = append(in.Notes, fmt.Sprintf("parameter %q repeated %d times in the JSON body; the first value is used", k, repeated[k]+1))
	}
	return nil
}

// setJSON stores one member of a JSON body as a parameter value.
func (in *Input) setJSON(k string, raw string) error {
	if !utf8.ValidString(raw) { // decoding would replace the bytes with U+FFFD
		in.markNotUTF8(k)
	}
	switch raw[0] {
	case '"':
		if strings.IndexByte(raw, '\\') < 0 && utf8.ValidString(raw) { // nothing to unescape
			in.Values[k] = raw[1 : len(raw)-1]
			return nil
		}
		var s string
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return fmt.Errorf("JSON body: field %q: %w", k, err)
		}
		in.Values[k] = s
	case 'n': // null
	case '{', '[':
		if !strings.ContainsAny(raw, " \t\n\r") { // compact already
			in.Values[k] = raw
			return nil
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(raw)); err != nil {
			return fmt.Errorf("JSON body: field %q: %w", k, err)
		}
		in.Values[k] = buf.String()
	default: // number, true, false
		in.Values[k] = raw
	}
	return nil
}

// decodeJSONFast is decodeJSON for what uploaders send: a valid UTF-8
// JSON object whose keys have no escapes. It scans the object once,
// without encoding/json's tokens (half the time of a JSON POST went
// there), and reports false, having changed nothing, for any other body.
// text is b as a string: keys and values are cut from it, not copied.
func (in *Input) decodeJSONFast(b []byte, text string) bool {
	if !utf8.ValidString(text) || !validJSON(b) {
		return false
	}
	i := skipJSONSpace(b, 0)
	if b[i] != '{' {
		return false
	}
	type member struct {
		key string
		raw string
	}
	var members [24]member // what a request holds, without allocating
	list := members[:0]
	if _, ok := jsonMembers(b, text, i, func(key string, v0, v1 int) bool {
		list = append(list, member{key, text[v0:v1]})
		return true
	}); !ok {
		return false
	}
	var repeated map[string]int
	for n, m := range list {
		first := true
		for _, earlier := range list[:n] {
			if earlier.key == m.key {
				first = false
				break
			}
		}
		if !first {
			if repeated == nil {
				repeated = map[string]int{}
			}
			repeated[m.key]++
			continue
		}
		if err := in.setJSON(m.key, m.raw); err != nil {
			return false // cannot happen in a valid body; the general path would say why
		}
	}
	if len(repeated) > 0 {
		for _, k := range slices.Sorted(maps.Keys(repeated)) {
			in.Notes = append(in.Notes, fmt.Sprintf("parameter %q repeated %d times in the JSON body; the first value is used", k, repeated[k]+1))
		}
	}
	return true
}

// jsonMembers calls f on each member of the object opening at b[i], in
// a valid JSON body (text is the same bytes as a string), with its key,
// cut from text, and its value's span, until f returns false. ok is
// false when a key holds an escape (left to encoding/json) or f stopped;
// end is the index past the closing brace.
func jsonMembers(b []byte, text string, i int, f func(key string, v0, v1 int) bool) (end int, ok bool) {
	i = skipJSONSpace(b, i+1)
	for b[i] != '}' {
		j := i + 1 // b[i] is the key's opening quote
		for b[j] != '"' {
			if b[j] == '\\' {
				return 0, false
			}
			j++
		}
		v0 := skipJSONSpace(b, skipJSONSpace(b, j+1)+1) // past the colon
		v1 := skipJSONValue(b, v0)
		if !f(text[i+1:j], v0, v1) {
			return 0, false
		}
		i = skipJSONSpace(b, v1)
		if b[i] == ',' {
			i = skipJSONSpace(b, i+1)
		}
	}
	return i + 1, true
}

// skipJSONSpace returns the index of the first byte at or after i that
// is not JSON white space.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipJSONValue returns the index just past the value starting at b[i],
// in a body already known to be valid JSON.
func skipJSONValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipJSONString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipJSONString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) && !strings.ContainsRune(",}] \t\n\r", rune(b[i])) {
		i++
	}
	return i
}

// skipJSONString returns the index just past the string opening at b[i].
func skipJSONString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// jsonKind names the kind of a JSON token that is not an object.
func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "a value"
}

func (in *Input) addAll(vals map[string][]string, where string) {
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		v := vals[k]
		if len(v) > 1 {
			in.Notes = append(in.Notes, fmt.Sprintf("parameter %q repeated %d times in the %s; the first value is used", k, len(v), where))
		}
		if len(v) > 0 {
			in.Values[k] = v[0]
		}
	}
}
