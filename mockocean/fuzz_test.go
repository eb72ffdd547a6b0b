package mockocean

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzActivate feeds arbitrary methods, content types, query strings and
// bodies to the handler. It must never panic, and must always answer with
// a catalog code/msg (HTTP 200) or an HTTP error with a JSON body.
func FuzzActivate(f *testing.F) {
	f.Add("GET", "", "callback=c&idfa=i&event_type=0", []byte(nil))
	f.Add("POST", "application/json", "", []byte(`{"callback":"c","imei":"x","event_type":2,"props":{"a":1}}`))
	f.Add("POST", "application/x-www-form-urlencoded", "x=1", []byte("callback=c&os=1&muid=m&props=%7B%7D"))
	f.Add("POST", "multipart/form-data; boundary=b", "", []byte("--b\r\nContent-Disposition: form-data; name=\"callback\"\r\n\r\nc\r\n--b--\r\n"))
	f.Add("POST", "text/plain", "", []byte("{\"callback\":\"\\ud800\"}"))
	f.Add("PUT", "", "", []byte("x"))
	f.Add("GET", "", "callback=%zz&outer_event_id=%E9%95%BF", []byte(nil))
	srv := New(Config{JournalCapacity: 1000, MaxBodyBytes: 4096})
	f.Fuzz(func(t *testing.T, method, ctype, query string, body []byte) {
		if len(method) == 0 || len(method) > 10 {
			method = "POST"
		}
		r := &http.Request{
			Method: method, URL: &url.URL{Path: ActivatePath, RawQuery: query},
			Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:1", Host: "x",
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		r = r.WithContext(t.Context())
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK:
			var a Answer
			if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
				t.Fatalf("200 with a non-JSON body %q", w.Body)
			}
			rule, ok := ruleByCode[a.Code]
			if !ok || !rule.Matches(a.Msg) || a.Ret != a.Code {
				t.Fatalf("answer %+v is not a catalog row", a)
			}
		case http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusNotFound:
			var e struct {
				Error string
				Code  *int
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%d with body %q", w.Code, w.Body)
			}
			if e.Code == nil || *e.Code == 0 {
				t.Fatalf("%d on the conversion endpoint without a non-zero code: %q", w.Code, w.Body)
			}
		default:
			t.Fatalf("unexpected status %d: %s", w.Code, w.Body)
		}
	})
}
