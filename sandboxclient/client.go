package sandboxclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/postbacksim/postbacksim/sandbox"
)

// maxAnswer bounds the answer the client reads: a full journal or report
// of a busy namespace fits.
const maxAnswer = 64 << 20

// Client talks to one sandbox, in one namespace. The zero value is not
// usable: make one with New.
type Client struct {
	base      string // the base URL, escaped, without a trailing slash
	token     string
	namespace string // "" for the default namespace
	hc        *http.Client
	err       error // a bad namespace given to Namespace: every call returns it
}

// Option adjusts a Client made by New.
type Option func(*Client)

// WithToken sends token as "Authorization: Bearer TOKEN" on every
// request: the sandbox's admin token (serve --admin-token), or a
// namespace's own token for that namespace's endpoints.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithNamespace makes every call address the namespace name (the
// sandbox's /ns/NAME/ paths) instead of the default one. The namespace
// endpoints (Namespaces, CreateNamespace, …) and health (Health, Ready)
// are the sandbox's own and ignore it.
func WithNamespace(name string) Option { return func(c *Client) { c.namespace = name } }

// WithHTTPClient sends the requests with hc instead of
// http.DefaultClient: for a timeout, a proxy or a TLS configuration.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// New returns a client for the sandbox at baseURL (http://127.0.0.1:8080;
// a path in it, such as a reverse proxy's prefix, is kept). It fails for a
// URL that is not an absolute http(s) URL without query or fragment, and
// for a namespace name the sandbox would refuse.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("sandboxclient: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("sandboxclient: base URL %q: want the sandbox's http(s) base URL, e.g. http://127.0.0.1:8080", baseURL)
	}
	c := &Client{base: strings.TrimSuffix(u.String(), "/"), hc: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	if err := checkNamespace(c.namespace); err != nil {
		return nil, err
	}
	if c.namespace == sandbox.DefaultNamespace {
		c.namespace = ""
	}
	return c, nil
}

// checkNamespace says what is wrong with a namespace name, if anything:
// empty is the default namespace.
func checkNamespace(name string) error {
	if name == "" {
		return nil
	}
	if err := sandbox.CheckNamespace(name); err != nil {
		return fmt.Errorf("sandboxclient: namespace: %w", err)
	}
	return nil
}

// Namespace returns a copy of c bound to the namespace name ("" or
// "default": the default one), with the same token and HTTP client. A
// name the sandbox would refuse makes every call of the copy fail with
// that error, sending nothing.
func (c *Client) Namespace(name string) *Client {
	cp := *c
	cp.namespace, cp.err = name, checkNamespace(name)
	if name == sandbox.DefaultNamespace {
		cp.namespace = ""
	}
	return &cp
}

// NamespaceName is the namespace the client addresses: "default" for the
// plain paths.
func (c *Client) NamespaceName() string {
	if c.namespace == "" {
		return sandbox.DefaultNamespace
	}
	return c.namespace
}

// Error is the sandbox's answer to a request that failed: any HTTP status
// outside 2xx. errors.As finds it in every error a method returns.
type Error struct {
	// StatusCode is the HTTP status answered.
	StatusCode int
	// Message is the server's explanation: the "error" (or "msg",
	// "message") member of its JSON answer, else the start of its body.
	Message string
	// Body is the answer as received.
	Body []byte
	// Method and URL are the request's (the URL without a password).
	Method, URL string
}

// Error reads "GET http://…/_admin/ocean/faults: HTTP 400 Bad Request:
// the server's message".
func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.URL, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		s += " " + t
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// newError describes a failed answer.
func newError(req *http.Request, status int, body []byte) *Error {
	e := &Error{StatusCode: status, Body: body, Method: req.Method, URL: req.URL.Redacted()}
	var msg struct {
		Error   string `json:"error"`
		Msg     string `json:"msg"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &msg) == nil {
		e.Message = firstOf(msg.Error, msg.Msg, msg.Message)
	}
	if e.Message == "" {
		text := strings.TrimSpace(string(body))
		if len(text) > 512 {
			text = text[:512] + "…"
		}
		e.Message = text
	}
	return e
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// call is one request: op names it in errors (the method's name,
// "OceanRequests"), path is under the namespace unless root.
type call struct {
	op     string
	method string
	path   string // escaped
	root   bool
	query  url.Values
	body   any // marshalled to JSON; nil: no body
	header http.Header
}

// url is the request's URL. k.path is escaped already (seg escapes
// the ids in it); a namespace name needs no escaping.
func (c *Client) url(k call) string {
	s := c.base
	if !k.root && c.namespace != "" {
		s += "/ns/" + c.namespace
	}
	s += k.path
	if q := k.query.Encode(); q != "" {
		s += "?" + q
	}
	return s
}

// seg escapes one path segment: an id, an event name.
func seg(s string) string { return url.PathEscape(s) }

// open sends k and returns the answer when its status is 2xx; otherwise
// it reads the answer and returns an *Error.
func (c *Client) open(ctx context.Context, k call) (*http.Response, error) {
	if c.err != nil {
		return nil, fmt.Errorf("sandboxclient.%s: %w", k.op, c.err)
	}
	var body io.Reader
	if k.body != nil {
		b, err := json.Marshal(k.body)
		if err != nil {
			return nil, fmt.Errorf("sandboxclient.%s: %w", k.op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, c.url(k), body)
	if err != nil {
		return nil, fmt.Errorf("sandboxclient.%s: %w", k.op, err)
	}
	for name, v := range k.header {
		req.Header[name] = v
	}
	if k.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sandboxclient.%s: %w", k.op, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("sandboxclient.%s: %s %s: HTTP %d, then reading the answer: %w", k.op, req.Method, req.URL.Redacted(), resp.StatusCode, err)
	}
	return nil, newError(req, resp.StatusCode, b)
}

// raw sends k and returns the body of its 2xx answer.
func (c *Client) raw(ctx context.Context, k call) ([]byte, error) {
	resp, err := c.open(ctx, k)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("sandboxclient.%s: reading the answer: %w", k.op, err)
	}
	return b, nil
}

// do sends k and decodes its 2xx answer into out (nil: the answer is
// dropped).
func (c *Client) do(ctx context.Context, k call, out any) error {
	b, err := c.raw(ctx, k)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("sandboxclient.%s: %s %s: the answer is not the expected JSON: %w", k.op, k.method, c.url(k), err)
	}
	return nil
}

// member decodes the member name of the JSON object k answers: the
// list in {"faults": […]}.
func member[T any](ctx context.Context, c *Client, k call, name string) (T, error) {
	var out map[string]json.RawMessage
	var v T
	if err := c.do(ctx, k, &out); err != nil {
		return v, err
	}
	if err := json.Unmarshal(out[name], &v); err != nil && out[name] != nil {
		return v, fmt.Errorf("sandboxclient.%s: member %s of the answer: %w", k.op, name, err)
	}
	return v, nil
}

// getMember is member for GET path under the namespace.
func getMember[T any](ctx context.Context, c *Client, op, path, name string) (T, error) {
	return member[T](ctx, c, call{op: op, method: http.MethodGet, path: path}, name)
}

// get decodes the answer to GET path (under the namespace) into out.
func (c *Client) get(ctx context.Context, op, path string, q url.Values, out any) error {
	return c.do(ctx, call{op: op, method: http.MethodGet, path: path, query: q}, out)
}

// del sends DELETE path (under the namespace).
func (c *Client) del(ctx context.Context, op, path string) error {
	return c.do(ctx, call{op: op, method: http.MethodDelete, path: path}, nil)
}

// IsStatus reports whether err is an *Error with HTTP status code.
func IsStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == code
}
