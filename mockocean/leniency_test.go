package mockocean_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/internal/testtb"
	"github.com/postbacksim/postbacksim/mockocean"
)

// sendRaw writes example ("METHOD TARGET[ BODY]") to addr byte for byte,
// as a client that does not URL-encode would, and returns the status.
func sendRaw(t *testing.T, addr, example string) int {
	t.Helper()
	method, rest, _ := strings.Cut(example, " ")
	target, body, _ := strings.Cut(rest, " ")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	if method == http.MethodPost {
		head += fmt.Sprintf("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", len(body))
	}
	if _, err := conn.Write([]byte(head + "\r\n" + body)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestLeniencies replays each leniency's example, as written, in the
// three modes: default answers the documented code with a detail quoting
// the rule; lenient accepts it with one warning naming the leniency;
// strict answers the documented code.
func TestLeniencies(t *testing.T) {
	if len(mockocean.Leniencies()) == 0 {
		t.Fatal("no leniencies")
	}
	for _, l := range mockocean.Leniencies() {
		t.Run(l.Name, func(t *testing.T) {
			for _, c := range []struct {
				mode string
				cfg  mockocean.Config
				code int
			}{
				{"default", mockocean.Config{}, l.Code},
				{"lenient", mockocean.Config{Lenient: true}, mockocean.CodeSuccess},
				{"strict", mockocean.Config{Strict: true}, l.Code},
				{"strict and lenient", mockocean.Config{Strict: true, Lenient: true}, l.Code},
			} {
				srv := mockocean.New(c.cfg)
				hs := httptest.NewServer(srv)
				if status := sendRaw(t, hs.Listener.Addr().String(), l.Example); status != http.StatusOK {
					t.Fatalf("%s: HTTP %d", c.mode, status)
				}
				hs.Close()
				reqs := testtb.Must(srv.Requests(context.Background()))
				if len(reqs) != 1 {
					t.Fatalf("%s: %d journaled", c.mode, len(reqs))
				}
				r := reqs[0]
				if r.Code != c.code {
					t.Errorf("%s: code %d (%s), want %d", c.mode, r.Code, r.Detail, c.code)
				}
				switch {
				case c.code == mockocean.CodeSuccess:
					if len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], l.WarningPrefix()) {
						t.Errorf("%s: warnings %q, want one starting %q", c.mode, r.Warnings, l.WarningPrefix())
					} else if got, ok := mockocean.LeniencyOf(r.Warnings[0]); !ok || got.Name != l.Name {
						t.Errorf("%s: LeniencyOf(%q) = %v %v", c.mode, r.Warnings[0], got.Name, ok)
					}
				case l.Name == mockocean.LenientExt: // not read: the answer is the top level's, and a note says why
					if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "--lenient reads them") {
						t.Errorf("%s: notes %q", c.mode, r.Notes)
					}
				default:
					if !strings.Contains(r.Detail, "「"+l.Rule+"」 (--lenient accepts it") {
						t.Errorf("%s: detail %q does not quote the rule %q", c.mode, r.Detail, l.Rule)
					}
				}
			}
		})
	}
}

// TestURLNotEncoded: non-ASCII characters sent raw in the URL are
// answered 40012 naming the parameter, with the encoded form in the
// detail; URL-encoded they are accepted.
func TestURLNotEncoded(t *testing.T) {
	srv := mockocean.New(mockocean.Config{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	sendRaw(t, hs.Listener.Addr().String(), "GET /track/activate/?callback=c&idfa=i&event_type=2&source=中文")
	sendRaw(t, hs.Listener.Addr().String(), "GET /track/activate/?callback=c&idfa=i&event_type=2&source=%E4%B8%AD%E6%96%87")
	reqs := testtb.Must(srv.Requests(context.Background()))
	if len(reqs) != 2 {
		t.Fatalf("%d journaled", len(reqs))
	}
	if r := reqs[0]; r.Code != mockocean.CodeEncoding || r.Msg != "params source is invalid" || !strings.Contains(r.Detail, "source=%E4%B8%AD%E6%96%87") {
		t.Errorf("raw: %d %q %s", r.Code, r.Msg, r.Detail)
	}
	if r := reqs[1]; r.Code != 0 || r.Params["source"] != "中文" {
		t.Errorf("encoded: %d %s %v", r.Code, r.Detail, r.Params)
	}
}

// TestLeniencyOf reads only the warnings a leniency wrote.
func TestLeniencyOf(t *testing.T) {
	for w, want := range map[string]string{
		"lenient post_query: POST with parameters in the query string (callback)": mockocean.LenientPostQuery,
		"lenient nope: x":                     "",
		"post_query: x":                       "",
		"conv_time 1 looks like milliseconds": "",
	} {
		l, ok := mockocean.LeniencyOf(w)
		if ok != (want != "") || l.Name != want {
			t.Errorf("LeniencyOf(%q) = %q %v, want %q", w, l.Name, ok, want)
		}
	}
}

// TestLeniencyFindings: `ocean report` finds each request accepted only
// because of lenient mode, and none in default mode.
func TestLeniencyFindings(t *testing.T) {
	for _, l := range mockocean.Leniencies() {
		t.Run(l.Name, func(t *testing.T) {
			for _, lenient := range []bool{true, false} {
				srv := mockocean.New(mockocean.Config{Lenient: lenient})
				hs := httptest.NewServer(srv)
				sendRaw(t, hs.Listener.Addr().String(), l.Example)
				hs.Close()
				count := 0
				for _, f := range mockocean.Lint(testtb.Must(srv.Requests(context.Background()))).Findings {
					if f.ID == "lenient_"+l.Name {
						count = f.Count
						if f.Severity != mockocean.SeverityError || f.Hint != l.Fix || f.Doc != "docs/platforms.md#"+l.Anchor {
							t.Errorf("finding %+v", f.LintRule)
						}
					}
				}
				if want := map[bool]int{true: 1, false: 0}[lenient]; count != want {
					t.Errorf("lenient %v: %d findings, want %d", lenient, count, want)
				}
			}
		})
	}
}
