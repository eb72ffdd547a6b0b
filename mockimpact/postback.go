package mockimpact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/postbacksim/postbacksim/clock"

	"github.com/postbacksim/postbacksim/fixtures"
	"github.com/postbacksim/postbacksim/mockimpact/macro"
)

// Postback is one event's postback configuration (docs/platforms.md, The
// configuration). Templates
// may hold macros; see package macro.
type Postback struct {
	// Event names the event type, e.g. action_lifecycle.
	Event string `json:"event" yaml:"event"`
	// URL is the brand's endpoint, a URL template.
	URL string `json:"url" yaml:"url" jsonschema:"required,minLength=1"`
	// Method is GET (data appended as a query string) or POST (data in
	// the body). Empty means POST.
	Method string `json:"method,omitempty" yaml:"method,omitempty"`
	// Headers are custom headers; values are templates. They override
	// the Content-Type the format sets.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	// Format is json, form or none. Empty means json for POST and form
	// for GET.
	Format string `json:"format,omitempty" yaml:"format,omitempty"`
	// Body is the data template; empty means the event's default payload
	// (DefaultTemplate) in Format.
	Body string `json:"body,omitempty" yaml:"body,omitempty"`

	// MinDelay is waited after the event before the first attempt.
	MinDelay clock.Duration `json:"min_delay,omitempty" yaml:"min_delay,omitempty"`
	// MaxRPS caps attempts per second across all deliveries of this
	// configuration, retries included; 0 means no cap. The cap can delay
	// an attempt, never advance it.
	MaxRPS float64 `json:"max_rps,omitempty" yaml:"max_rps,omitempty"`
	// Success recognises a delivered postback: a status ("200") or the
	// text that is the whole body, trimmed of white space ("OK"). Zero
	// means any 2xx status. A status 400–599 is refused: it is retried
	// whatever the configuration says.
	Success Matcher `json:"success,omitzero" yaml:"success,omitempty"`
	// Error recognises a failure to retry: a status ("500") or a text
	// the body contains ("ERROR"; it wins over the success text). Zero
	// means none; status 400–599 is retried anyway.
	Error Matcher `json:"error,omitzero" yaml:"error,omitempty"`
	// Timeout bounds one attempt; 0 means DefaultTimeout.
	Timeout clock.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// DefaultTimeout bounds one attempt when Postback.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Compiled is a Postback checked and compiled once, ready to render many
// events.
type Compiled struct {
	Postback
	spec    fixtures.EventSpec
	url     *macro.Template
	body    *macro.Template // nil for FormatNone
	headers []compiledHeader
}

type compiledHeader struct {
	name string
	tpl  *macro.Template
}

// ConfigError is a configuration mistake in one field.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("postback: field %s: %v", e.Field, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

// Compile validates p and compiles its templates against its event's
// payload type. Every template error names the field, line and column.
func Compile(p Postback) (*Compiled, error) {
	spec, err := fixtures.LookupEvent(p.Event)
	if err != nil {
		return nil, &ConfigError{"event", err}
	}
	p.Method = strings.ToUpper(p.Method)
	switch p.Method {
	case "":
		p.Method = http.MethodPost
	case http.MethodGet, http.MethodPost:
	default:
		return nil, &ConfigError{"method", fmt.Errorf("%q: want %s", p.Method, orList(methods[:]))}
	}
	switch p.Format {
	case "":
		p.Format = FormatJSON
		if p.Method == http.MethodGet {
			p.Format = FormatForm
		}
	case FormatJSON, FormatForm, FormatNone:
	default:
		return nil, &ConfigError{"format", fmt.Errorf("%q: want %s", p.Format, orList(formats[:]))}
	}
	if p.Method == http.MethodGet && p.Format == FormatJSON {
		return nil, &ConfigError{"format", errors.New("json: a GET sends its data as a query string; use form or none")}
	}
	if strings.TrimSpace(p.URL) == "" {
		return nil, &ConfigError{"url", errors.New("empty")}
	}
	if p.Body != "" && p.Format == FormatNone {
		return nil, &ConfigError{"body", errors.New("set, but format is none")}
	}
	switch {
	case p.MinDelay < 0:
		return nil, &ConfigError{"min_delay", fmt.Errorf("%v is negative", p.MinDelay)}
	case p.MaxRPS < 0 || math.IsNaN(p.MaxRPS) || math.IsInf(p.MaxRPS, 0):
		return nil, &ConfigError{"max_rps", fmt.Errorf("%v: want a positive number, or 0 for no cap", p.MaxRPS)}
	case p.Timeout < 0:
		return nil, &ConfigError{"timeout", fmt.Errorf("%v is negative", p.Timeout)}
	case p.Timeout == 0:
		p.Timeout = clock.Duration(DefaultTimeout)
	}
	if n := p.Success.Status; n >= 400 && n <= 599 {
		return nil, &ConfigError{"success", fmt.Errorf("status %d is retried whatever the configuration says (the document retries a response code between 400 and 500 on the schedule): a success response is a 1xx–3xx status or a text", n)}
	}
	if !p.Success.IsZero() && p.Success == p.Error {
		return nil, &ConfigError{"error", fmt.Errorf("%q is also the success response", p.Error)}
	}
	payload := reflect.TypeOf(spec.New())
	c := &Compiled{Postback: p, spec: spec}
	if c.url, err = macro.Compile("url", p.URL, macro.URL, payload); err != nil {
		return nil, &ConfigError{"url", err}
	}
	if p.Format != FormatNone {
		src, ctx := p.Body, macro.JSON
		if p.Format == FormatForm {
			ctx = macro.Form
		}
		if src == "" {
			src = DefaultTemplate(spec, p.Format)
		}
		if c.body, err = macro.Compile("body", src, ctx, payload); err != nil {
			return nil, &ConfigError{"body", err}
		}
	}
	names := make([]string, 0, len(p.Headers))
	for name := range p.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !validHeaderName(name) {
			return nil, &ConfigError{"headers", fmt.Errorf("%q is not a valid header name", name)}
		}
		if err := checkHeaderValue(p.Headers[name]); err != nil {
			return nil, &ConfigError{"headers", fmt.Errorf("header %s: %w", name, err)}
		}
		tpl, err := macro.Compile("header "+name, p.Headers[name], macro.Header, payload)
		if err != nil {
			return nil, &ConfigError{"headers", err}
		}
		c.headers = append(c.headers, compiledHeader{http.CanonicalHeaderKey(name), tpl})
	}
	if err := checkStaticURL(p.URL); err != nil {
		return nil, &ConfigError{"url", err}
	}
	return c, nil
}

// checkHeaderValue refuses a header value template that no request can
// carry: a line break (CR or LF) or another control character would end
// the header, so every attempt would fail before it is sent.
func checkHeaderValue(v string) error {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\r' || c == '\n':
			return fmt.Errorf("the value holds a line break (CR or LF) at byte %d; a header value is one line", i)
		case c < ' ' && c != '\t' || c == 0x7f:
			return fmt.Errorf("the value holds the control character %q at byte %d", c, i)
		}
	}
	return nil
}

// checkStaticURL checks what a URL template fixes whatever the event: a
// template without macros must be a URL a postback can be sent to
// (CheckURL), and a scheme written before the first macro must be http
// or https (our decision: docs/platforms.md#d-impact-url-checks). What
// macros fill in is checked when each request is rendered.
func checkStaticURL(tpl string) error {
	nodes, err := macro.Parse("url", tpl)
	if err != nil {
		return err // Compile reported it already
	}
	for _, n := range nodes {
		if t, ok := n.(*macro.Text); ok {
			if err := checkURLText(tpl, t); err != nil {
				return err
			}
		}
	}
	var prefix strings.Builder
	static := true
	for _, n := range nodes {
		t, ok := n.(*macro.Text)
		if !ok {
			static = false
			break
		}
		prefix.WriteString(t.Text)
	}
	if static {
		return CheckURL(prefix.String())
	}
	lead := prefix.String()
	if i := strings.IndexAny(lead, ":/?#"); i >= 0 && lead[i] == ':' {
		if scheme := lead[:i]; !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") {
			return &InvalidURLError{tpl, fmt.Sprintf("scheme %q: want http or https", scheme)}
		}
	}
	return nil
}

// checkURLText refuses a space or a control character written in a URL
// template's own text (macros escape what they fill in): a URL cannot hold
// one, and Go's client would send it escaped, so the receiver would see
// another URL than the one configured.
func checkURLText(tpl string, t *macro.Text) error {
	col := t.At.Col
	for i, r := range t.Text {
		switch {
		case r == ' ':
			return &InvalidURLError{tpl, fmt.Sprintf("a space at %d:%d; a URL cannot hold one: write %%20 (or + in the query)", t.At.Line, col)}
		case r < ' ' || r == 0x7f:
			return &InvalidURLError{tpl, fmt.Sprintf("the control character %q at %d:%d; a URL cannot hold one", t.Text[i], t.At.Line, col)}
		}
		col++
	}
	return nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// Spec returns the configured event's spec.
func (c *Compiled) Spec() fixtures.EventSpec { return c.spec }

// Rendered is the request impact would send for one event, as data.
type Rendered struct {
	Method string      `json:"method"`
	URL    string      `json:"url"`
	Header http.Header `json:"headers"`
	Body   string      `json:"body,omitempty"`
}

// UserAgent is the User-Agent of every postback.
const UserAgent = "postbacksim-impact/1 (impact.com postback emulator)"

// Render renders ev (which must be of the configured event's type).
func (c *Compiled) Render(ev fixtures.Event) (*Rendered, error) {
	if ev.EventName() != c.spec.Name {
		return nil, fmt.Errorf("postback for %s cannot render a %s event", c.spec.Name, ev.EventName())
	}
	u, err := c.url.Render(ev)
	if err != nil {
		return nil, err
	}
	r := &Rendered{Method: c.Method, URL: u, Header: http.Header{"User-Agent": {UserAgent}}}
	var data string
	if c.body != nil {
		if data, err = c.body.Render(ev); err != nil {
			return nil, err
		}
	}
	switch {
	case c.Method == http.MethodGet && data != "":
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
			if strings.HasSuffix(u, "?") || strings.HasSuffix(u, "&") {
				sep = ""
			}
		}
		r.URL = u + sep + data
	case c.Method == http.MethodPost && c.Format == FormatJSON:
		r.Header.Set("Content-Type", "application/json")
		r.Body = data
	case c.Method == http.MethodPost && c.Format == FormatForm:
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Body = data
	}
	for _, h := range c.headers {
		v, err := h.tpl.Render(ev)
		if err != nil {
			return nil, err
		}
		r.Header.Set(h.name, v)
	}
	return r, nil
}

// InvalidURLError says a rendered URL cannot be sent to: impact does not
// retry it (docs/platforms.md, Classifying an attempt).
type InvalidURLError struct {
	URL    string
	Reason string
}

func (e *InvalidURLError) Error() string { return fmt.Sprintf("invalid URL %q: %s", e.URL, e.Reason) }

// CheckURL reports whether raw is a URL a postback can be sent to: it
// parses, is http or https, names a host, and its port, when it has one,
// is a number from 1 to 65535.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		reason := err.Error()
		if errors.As(err, &ue) {
			reason = ue.Err.Error()
		}
		return &InvalidURLError{raw, reason}
	}
	return checkParsedURL(raw, u)
}

// checkParsedURL is CheckURL's check of raw once parsed as u.
func checkParsedURL(raw string, u *url.URL) error {
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return &InvalidURLError{raw, fmt.Sprintf("scheme %q: want http or https", u.Scheme)}
	case u.Hostname() == "":
		return &InvalidURLError{raw, "no host"}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return &InvalidURLError{raw, fmt.Sprintf("port %q: want a number from 1 to 65535", p)}
		}
	}
	return nil
}

// Request builds the *http.Request. A URL that cannot be sent to gives an
// *InvalidURLError.
func (r *Rendered) Request(ctx context.Context) (*http.Request, error) {
	return r.request(ctx, "")
}

// noBody is the GetBody of a request without a body.
func noBody() (io.ReadCloser, error) { return http.NoBody, nil }

// request builds the *http.Request, with the HopHeader hop when it is
// not empty. The URL is parsed once. The request's header is a map of its
// own whose values are r's (full slices: appending to one copies it), as
// a RoundTripper must not modify the request.
func (r *Rendered) request(ctx context.Context, hop string) (*http.Request, error) {
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err == nil {
		err = checkParsedURL(r.URL, req.URL)
	} else if cerr := CheckURL(r.URL); cerr != nil {
		err = cerr
	} else {
		err = &InvalidURLError{r.URL, err.Error()}
	}
	if err != nil {
		return nil, err
	}
	if body == nil {
		req.Body, req.GetBody = http.NoBody, noBody
	}
	h := make(http.Header, len(r.Header)+1)
	for k, v := range r.Header {
		h[k] = v[:len(v):len(v)]
	}
	if hop != "" {
		h[HopHeader] = []string{hop}
	}
	req.Header = h
	return req, nil
}

// Wire writes r as it goes on the wire: request line, headers (sorted),
// blank line, body.
func (r *Rendered) Wire() string {
	var b strings.Builder
	target := r.URL
	fmt.Fprintf(&b, "%s %s HTTP/1.1\n", r.Method, target)
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	if r.Body != "" {
		fmt.Fprintf(&b, "Content-Length: %d\n\n%s\n", len(r.Body), r.Body)
	} else {
		b.WriteString("\n")
	}
	return b.String()
}
