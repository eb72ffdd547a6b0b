package mockocean_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
)

// TestReadRawBodies: a body is read whole whatever its framing (an
// announced length, none, or 0 for a request made with http.NewRequest
// from a reader of unknown length), a body announced longer than sent
// is an error, and one over the bound is ErrBodyTooLarge, announced or
// not.
func TestReadRawBodies(t *testing.T) {
	const body = "callback=c&idfa=i&event_type=1"
	for _, c := range []struct {
		name    string
		length  int64
		body    io.Reader
		max     int64
		want    string
		wantErr error
	}{
		{"announced", int64(len(body)), strings.NewReader(body), 1 << 10, body, nil},
		{"unknown length", -1, strings.NewReader(body), 1 << 10, body, nil},
		{"length 0, reader of unknown length", 0, io.MultiReader(strings.NewReader(body)), 1 << 10, body, nil},
		{"announced longer than sent", int64(len(body)) + 5, strings.NewReader(body), 1 << 10, "", io.ErrUnexpectedEOF},
		{"announced, nothing sent", 8, strings.NewReader(""), 1 << 10, "", io.ErrUnexpectedEOF},
		{"announced over the bound", int64(len(body)), strings.NewReader(body), 10, "", mockocean.ErrBodyTooLarge},
		{"unknown length over the bound", -1, strings.NewReader(body), 10, "", mockocean.ErrBodyTooLarge},
		{"exactly the bound", int64(len(body)), strings.NewReader(body), int64(len(body)), body, nil},
		{"announced, larger than what is read up front", 40 << 10, strings.NewReader(strings.Repeat("a", 40<<10)), 1 << 20, strings.Repeat("a", 40<<10), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/track/activate/", c.body)
			if err != nil {
				t.Fatal(err)
			}
			r.ContentLength = c.length
			raw, err := mockocean.ReadRaw(r, c.max)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("error %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil || raw.Body != c.want {
				t.Fatalf("body %q, error %v; want %q", raw.Body, err, c.want)
			}
		})
	}
}
