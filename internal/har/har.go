// Package har writes HTTP Archive 1.2 logs
// (http://www.softwareishard.com/blog/har-12-spec/): the admin API's
// ?format=har views of the Ocean journal and of impact deliveries.
package har

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/internal/httpjson"
)

// Log is a HAR document: {"log": …}.
type Log struct {
	Log Body `json:"log"`
}

// Body is the log object.
type Body struct {
	Version string  `json:"version"`
	Creator Creator `json:"creator"`
	Entries []Entry `json:"entries"`
}

// Creator names the application that wrote the log.
type Creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Entry is one exchange.
type Entry struct {
	StartedDateTime string   `json:"startedDateTime"`
	Time            float64  `json:"time"`
	Request         Request  `json:"request"`
	Response        Response `json:"response"`
	Cache           struct{} `json:"cache"`
	Timings         Timings  `json:"timings"`
	Comment         string   `json:"comment,omitempty"`
}

// Request is an entry's request.
type Request struct {
	Method      string    `json:"method"`
	URL         string    `json:"url"`
	HTTPVersion string    `json:"httpVersion"`
	Cookies     []NV      `json:"cookies"`
	Headers     []NV      `json:"headers"`
	QueryString []NV      `json:"queryString"`
	PostData    *PostData `json:"postData,omitempty"`
	HeadersSize int       `json:"headersSize"`
	BodySize    int       `json:"bodySize"`
}

// Response is an entry's response; Status 0 means none came.
type Response struct {
	Status      int     `json:"status"`
	StatusText  string  `json:"statusText"`
	HTTPVersion string  `json:"httpVersion"`
	Cookies     []NV    `json:"cookies"`
	Headers     []NV    `json:"headers"`
	Content     Content `json:"content"`
	RedirectURL string  `json:"redirectURL"`
	HeadersSize int     `json:"headersSize"`
	BodySize    int     `json:"bodySize"`
	Comment     string  `json:"comment,omitempty"`
}

// NV is a name/value pair (header, query parameter, cookie).
type NV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PostData is a request's body.
type PostData struct {
	MimeType string `json:"mimeType"`
	Params   []NV   `json:"params"`
	Text     string `json:"text"`
}

// Content is a response's body.
type Content struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
}

// Timings are an exchange's phases in milliseconds; -1 means not
// applicable.
type Timings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// New returns an empty log written by postbacksim.
func New() *Log {
	return &Log{Log: Body{Version: "1.2", Creator: Creator{Name: "postbacksim", Version: "1"}, Entries: []Entry{}}}
}

// Exchange is what Add needs of one exchange.
type Exchange struct {
	Started time.Time
	// Latency is how long the answer took (the wait timing).
	Latency time.Duration
	Method  string
	URL     string
	Header  http.Header
	Body    string
	// Status is 0 when no answer came; Answer is the response body (or
	// its excerpt), AnswerType its Content-Type.
	Status     int
	Answer     string
	AnswerType string
	Comment    string
}

// Add appends x as an entry.
func (l *Log) Add(x Exchange) {
	ms := float64(x.Latency) / float64(time.Millisecond)
	req := Request{Method: x.Method, URL: x.URL, HTTPVersion: "HTTP/1.1", Cookies: []NV{}, Headers: pairs(x.Header),
		QueryString: []NV{}, HeadersSize: -1, BodySize: len(x.Body)}
	if u, err := url.Parse(x.URL); err == nil {
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			k, _ = url.QueryUnescape(k)
			v, _ = url.QueryUnescape(v)
			req.QueryString = append(req.QueryString, NV{k, v})
		}
	}
	if x.Body != "" {
		req.PostData = &PostData{MimeType: x.Header.Get("Content-Type"), Params: []NV{}, Text: x.Body}
	}
	resp := Response{Status: x.Status, StatusText: http.StatusText(x.Status), HTTPVersion: "HTTP/1.1", Cookies: []NV{}, Headers: []NV{},
		Content: Content{Size: len(x.Answer), MimeType: x.AnswerType, Text: x.Answer}, HeadersSize: -1, BodySize: len(x.Answer)}
	if x.Status == 0 {
		resp.HTTPVersion, resp.BodySize, resp.Comment = "", -1, "no answer"
	}
	if x.AnswerType != "" {
		resp.Headers = []NV{{"Content-Type", x.AnswerType}}
	}
	l.Log.Entries = append(l.Log.Entries, Entry{StartedDateTime: x.Started.UTC().Format(time.RFC3339Nano), Time: ms,
		Request: req, Response: resp, Timings: Timings{Send: 0, Wait: ms, Receive: 0}, Comment: x.Comment})
}

// pairs lists h's values by name, sorted.
func pairs(h http.Header) []NV {
	out := []NV{}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			out = append(out, NV{k, v})
		}
	}
	return out
}

// Format reads the format query parameter of a list: "" or json (the
// JSON view), or har; anything else is an error to answer with 400.
func Format(q url.Values) (har bool, err error) {
	switch f := q.Get("format"); f {
	case "", "json":
		return false, nil
	case "har":
		return true, nil
	default:
		return false, fmt.Errorf("query parameter format: %q: want json (the default) or har (HTTP Archive 1.2)", f)
	}
}

// MediaType is the media type of an HTTP Archive answer: JSON, told
// apart from the JSON view of the same list.
const MediaType = "application/har+json"

// Write answers l with 200 and MediaType.
func Write(w http.ResponseWriter, l *Log) {
	httpjson.WriteAs(w, http.StatusOK, MediaType, l)
}
