package sandboxclient

import (
	"context"
	"net/http"

	"github.com/postbacksim/postbacksim/sandbox"
)

// Namespaces lists the sandbox's namespaces (GET /_admin/namespaces),
// by name, the default one included. It needs the admin token when the
// sandbox has one.
func (c *Client) Namespaces(ctx context.Context) ([]sandbox.NamespaceInfo, error) {
	return member[[]sandbox.NamespaceInfo](ctx, c, call{op: "Namespaces", method: http.MethodGet, path: sandbox.NamespacesPath, root: true}, "namespaces")
}

// CreateNamespace creates a namespace (POST /_admin/namespaces), with
// its own token and v2 app secret when spec has them. An *Error with
// status 400 names a field the sandbox refuses; 409 when the namespace
// exists or the sandbox holds as many as it may.
func (c *Client) CreateNamespace(ctx context.Context, spec sandbox.NamespaceSpec) (sandbox.NamespaceInfo, error) {
	var in sandbox.NamespaceInfo
	err := c.do(ctx, call{op: "CreateNamespace", method: http.MethodPost, path: sandbox.NamespacesPath, root: true, body: spec}, &in)
	return in, err
}

// GetNamespace describes the namespace name; an *Error with status 404
// when there is none.
func (c *Client) GetNamespace(ctx context.Context, name string) (sandbox.NamespaceInfo, error) {
	var in sandbox.NamespaceInfo
	err := c.do(ctx, call{op: "GetNamespace", method: http.MethodGet, path: sandbox.NamespacesPath + "/" + seg(name), root: true}, &in)
	return in, err
}

// DeleteNamespace drops the namespace name and all its state; an *Error
// with status 404 when there is none, 400 for the default namespace.
func (c *Client) DeleteNamespace(ctx context.Context, name string) error {
	return c.do(ctx, call{op: "DeleteNamespace", method: http.MethodDelete, path: sandbox.NamespacesPath + "/" + seg(name), root: true}, nil)
}

// Health reports whether the sandbox answers (GET /healthz).
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, call{op: "Health", method: http.MethodGet, path: "/healthz", root: true}, nil)
}

// Ready reports whether the sandbox can serve (GET /readyz): nil, or an
// *Error with status 503 whose Message says why (its store does not
// answer), or the network's error.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, call{op: "Ready", method: http.MethodGet, path: "/readyz", root: true}, nil)
}
