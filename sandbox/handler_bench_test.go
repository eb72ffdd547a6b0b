package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
)

// BenchmarkConversionHandler is one conversion through the whole
// sandbox handler (middleware, metrics, decode, validate, dedup,
// journal, answer) with no network: what the emulator adds to net/http's
// own cost per request. Every request has its own outer_event_id (up to
// 1<<18 of them; past that they repeat and are answered as duplicates),
// so run it with -benchtime up to 262144x:
//
//	go test ./sandbox -run '^$' -bench ConversionHandler -benchmem -benchtime 200000x
func BenchmarkConversionHandler(b *testing.B) {
	const ids = 1 << 18
	device := "idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&event_type=2&callback=cb"
	for _, c := range []struct {
		name, method, path, ctype string
		body                      func(id string) string
		query                     func(id string) string
	}{
		{name: "GET", method: http.MethodGet, path: mockocean.ActivatePath,
			query: func(id string) string { return device + "&outer_event_id=" + id }},
		{name: "GET-namespace", method: http.MethodGet, path: "/ns/team-a" + mockocean.ActivatePath,
			query: func(id string) string { return device + "&outer_event_id=" + id }},
		{name: "form", method: http.MethodPost, path: mockocean.ActivatePath, ctype: "application/x-www-form-urlencoded",
			body: func(id string) string { return device + "&outer_event_id=" + id }},
		{name: "JSON", method: http.MethodPost, path: mockocean.ActivatePath, ctype: "application/json",
			body: func(id string) string {
				return `{"callback":"cb","idfa":"FCD369C3-F622-44B8-AFDE-12065659F34B","event_type":2,"outer_event_id":"` + id + `"}`
			}},
		{name: "v2", method: http.MethodPost, path: mockocean.V2Path, ctype: "application/json",
			body: func(id string) string {
				return `{"event_type":"active_pay","context":{"ad":{"callback":"cb","attributed":false},"device":{"imei":"0c2bd03c39f19845bf54ea0abafae70e"}},` +
					`"properties":{"pay_amount":600},"timestamp":1764988800123,"outer_event_id":"` + id + `"}`
			}},
	} {
		b.Run(c.name, func(b *testing.B) {
			sb := New(Config{})
			defer sb.Close()
			texts := make([]string, ids)
			for i := range texts {
				id := "e" + strconv.Itoa(i)
				if c.body != nil {
					texts[i] = c.body(id)
				} else {
					texts[i] = c.query(id)
				}
			}
			r := &http.Request{Method: c.method, URL: &url.URL{Path: c.path}, Header: http.Header{},
				RemoteAddr: "127.0.0.1:40000", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Host: "127.0.0.1"}
			r = r.WithContext(b.Context())
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			body := &resettableBody{}
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				t := texts[i%ids]
				i++
				if c.body != nil {
					body.Reset(t)
					r.Body = body
					r.ContentLength = int64(len(t))
				} else {
					r.URL.RawQuery = t
				}
				clear(w.header)
				w.status = 0
				sb.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

// resettableBody is a request body reused across requests, so that the
// benchmark allocates nothing of its own per request.
type resettableBody struct{ strings.Reader }

func (*resettableBody) Close() error { return nil }

// discardWriter is a ResponseWriter that keeps the status and drops the
// body, reused across requests.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
