// Package postbacksimtc starts the postbacksim sandbox's Docker image in
// tests through Testcontainers for Go, like testcontainers-go's
// modules/mockserver does for MockServer:
//
//	ctr, err := postbacksimtc.Run(ctx, "postbacksim:dev",
//		postbacksimtc.WithAdminToken("s3cret"),
//		postbacksimtc.WithNamespace("team-a"),
//		postbacksimtc.WithHostNetwork())
//	defer testcontainers.TerminateContainer(ctr)
//	activate, err := ctr.ActivateURL(ctx) // http://127.0.0.1:PORT/ns/team-a/track/activate/
//
// Run waits until GET /readyz answers 200, then creates the namespaces
// asked for. The container's URLs (URL, ActivateURL, V2URL,
// NamespaceURL) and Client, the typed client of the admin API, address
// the sandbox as the test's process reaches it.
//
// The package is a module of its own
// (github.com/postbacksim/postbacksim/testcontainers), so that the
// sandbox's module does not depend on Docker's libraries.
package postbacksimtc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/postbacksim/postbacksim/sandboxclient"
)

// Port is the port the image's server listens on in its own network
// (its environment sets POSTBACKSIM_ADDR=0.0.0.0:8080).
const Port = "8080/tcp"

// StartupTimeout bounds how long Run waits for GET /readyz to answer 200.
const StartupTimeout = 30 * time.Second

// Container is a running postbacksim sandbox. The embedded
// testcontainers.Container gives Terminate, Logs, Exec and the rest.
type Container struct {
	testcontainers.Container
	token     string
	namespace string
	hostPort  int // the loopback port with WithHostNetwork; 0 otherwise
}

// Run starts the postbacksim image (built with `make docker
// IMAGE=name`) running `postbacksim serve`, with the sandbox's Options
// of this package and any of testcontainers' own (WithEnv,
// WithLogConsumers…). It waits until GET /readyz answers 200, then
// creates the namespaces of WithNamespace and WithNamespaces.
//
// As with testcontainers.Run, a container that was created is returned
// even with an error, so that the caller can terminate it (see
// testcontainers.CleanupContainer).
func Run(ctx context.Context, image string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	var s settings
	var others []testcontainers.ContainerCustomizer
	for _, o := range opts {
		if opt, ok := o.(Option); ok {
			if err := opt(&s); err != nil {
				return nil, err
			}
			continue
		}
		others = append(others, o)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if !s.hostNetwork {
		return run(ctx, image, &s, 0, others)
	}
	// On the host's network the port is chosen here, free when chosen:
	// another process may still take it before the server binds it, and
	// the server then exits saying so; Run tries another port.
	var lastErr error
	for range 3 {
		port, err := freeLoopbackPort()
		if err != nil {
			return nil, err
		}
		c, err := run(ctx, image, &s, port, others)
		if err == nil || c == nil || !c.portTaken(ctx) {
			return c, err
		}
		lastErr = err
		if err := testcontainers.TerminateContainer(c); err != nil {
			return nil, fmt.Errorf("postbacksimtc: port %d was taken; removing the container: %w", port, err)
		}
	}
	return nil, fmt.Errorf("postbacksimtc: three loopback ports were taken before the server bound them; the last try: %w", lastErr)
}

// run starts one container: on the host's network on port hostPort when
// it is not 0, in its own network otherwise.
func run(ctx context.Context, image string, s *settings, hostPort int, others []testcontainers.ContainerCustomizer) (*Container, error) {
	var custom []testcontainers.ContainerCustomizer
	readyz := wait.ForHTTP("/readyz").WithStartupTimeout(StartupTimeout).WithForcedIPv4LocalHost()
	if hostPort != 0 {
		custom = append(custom,
			testcontainers.WithCmd(s.command(net.JoinHostPort("127.0.0.1", strconv.Itoa(hostPort)))...),
			testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.NetworkMode = "host" }),
			// On the host's network MappedPort answers the port it is given,
			// and the server is on this host's loopback interface whatever
			// testcontainers takes the Docker host to be (inside a container,
			// the gateway of Docker's default network).
			testcontainers.WithWaitStrategy(onLoopback{readyz.WithPort(strconv.Itoa(hostPort) + "/tcp")}),
		)
	} else {
		custom = append(custom,
			testcontainers.WithCmd(s.command("")...),
			testcontainers.WithExposedPorts(Port),
			testcontainers.WithWaitStrategy(readyz.WithPort(Port)),
		)
	}
	if files := s.files(); len(files) > 0 {
		custom = append(custom, testcontainers.WithFiles(files...))
	}
	// The caller's own customizers come last: they may change what these set.
	ctr, err := testcontainers.Run(ctx, image, append(custom, others...)...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr, token: s.token, namespace: s.namespace, hostPort: hostPort}
	}
	if err != nil {
		return c, fmt.Errorf("postbacksimtc: run %s: %w", image, err)
	}
	for _, ns := range s.namespaces {
		if err := c.CreateNamespace(ctx, ns); err != nil {
			return c, err
		}
	}
	return c, nil
}

// onLoopback is an HTTP wait strategy that asks 127.0.0.1 rather than
// the Docker host testcontainers infers.
type onLoopback struct{ *wait.HTTPStrategy }

// WaitUntilReady waits as the HTTP strategy does, on 127.0.0.1.
func (s onLoopback) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	return s.HTTPStrategy.WaitUntilReady(ctx, loopbackTarget{target})
}

// loopbackTarget is a wait target whose host is 127.0.0.1.
type loopbackTarget struct{ wait.StrategyTarget }

// Host answers 127.0.0.1.
func (loopbackTarget) Host(context.Context) (string, error) { return "127.0.0.1", nil }

// check reports settings that cannot work together.
func (s *settings) check() error {
	seen := map[string]string{}
	for _, p := range s.scenarios {
		base := filepath.Base(p)
		if other, ok := seen[base]; ok {
			return fmt.Errorf("postbacksimtc: WithScenarioFiles: %s and %s would both be %s in the container", other, p, path.Join(ScenarioDir, base))
		}
		seen[base] = p
	}
	for _, f := range s.flags {
		if f == "--addr" || strings.HasPrefix(f, "--addr=") {
			return errors.New("postbacksimtc: WithFlags: --addr is set by the package (WithHostNetwork: a free loopback port; otherwise 0.0.0.0:8080)")
		}
	}
	return nil
}

// portTaken reports whether the server exited because its port was taken.
func (c *Container) portTaken(ctx context.Context) bool {
	logs, err := c.Logs(ctx)
	if err != nil {
		return false
	}
	defer logs.Close()
	b, _ := io.ReadAll(logs)
	return bytes.Contains(b, []byte("address already in use"))
}

// freeLoopbackPort is a TCP port nothing holds on 127.0.0.1, drawn below
// the kernel's ephemeral range: a port in that range can be taken by any
// outgoing connection (the Docker engine's own, say) between now and
// the server's bind.
func freeLoopbackPort() (int, error) {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 11000 {
				low = n
			}
		}
	}
	for range 100 {
		port := 10000 + rand.IntN(low-10000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("postbacksimtc: free port %d: %w", port, err)
		}
		return port, nil
	}
	return 0, fmt.Errorf("postbacksimtc: no free loopback port found in 100 tries between 10000 and %d", low)
}

// URL is the sandbox's base URL as this process reaches it, without a
// trailing slash: http://127.0.0.1:PORT with WithHostNetwork, else the
// Docker host and the port 8080 is published on. It is the namespace
// default's; NamespaceURL gives another namespace's.
func (c *Container) URL(ctx context.Context) (string, error) {
	if c.hostPort != 0 {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(c.hostPort)), nil
	}
	host, err := c.Host(ctx)
	if err != nil {
		return "", fmt.Errorf("postbacksimtc: the container's host: %w", err)
	}
	if host == "localhost" {
		host = "127.0.0.1" // the published port may be IPv4 only
	}
	port, err := c.MappedPort(ctx, Port)
	if err != nil {
		return "", fmt.Errorf("postbacksimtc: the host port of %s: %w", Port, err)
	}
	return "http://" + net.JoinHostPort(host, port.Port()), nil
}

// NamespaceURL is the base URL of the namespace name, URL + /ns/NAME,
// without a trailing slash; the namespace default's is URL's.
func (c *Container) NamespaceURL(ctx context.Context, name string) (string, error) {
	base, err := c.URL(ctx)
	if err != nil {
		return "", err
	}
	if name == "" || name == "default" {
		return base, nil
	}
	return base + "/ns/" + name, nil
}

// Namespace is the namespace of WithNamespace, which ActivateURL, V2URL
// and Client address ("default" when none was given).
func (c *Container) Namespace() string {
	if c.namespace == "" {
		return "default"
	}
	return c.namespace
}

// ActivateURL is the Ocean Engine legacy conversion endpoint,
// …/track/activate/ (with its trailing slash), of the container's
// namespace: the URL an application under test posts conversions to.
func (c *Container) ActivateURL(ctx context.Context) (string, error) {
	base, err := c.NamespaceURL(ctx, c.Namespace())
	if err != nil {
		return "", err
	}
	return base + "/track/activate/", nil
}

// V2URL is the Ocean Engine conversion API endpoint current SDKs use,
// …/api/v2/conversion, of the container's namespace.
func (c *Container) V2URL(ctx context.Context) (string, error) {
	base, err := c.NamespaceURL(ctx, c.Namespace())
	if err != nil {
		return "", err
	}
	return base + "/api/v2/conversion", nil
}

// Client is the typed client of the sandbox's admin API (package
// sandboxclient), with the admin token of WithAdminToken and the
// namespace of WithNamespace applied.
func (c *Container) Client(ctx context.Context) (*sandboxclient.Client, error) {
	base, err := c.URL(ctx)
	if err != nil {
		return nil, err
	}
	var opts []sandboxclient.Option
	if c.token != "" {
		opts = append(opts, sandboxclient.WithToken(c.token))
	}
	if c.namespace != "" {
		opts = append(opts, sandboxclient.WithNamespace(c.namespace))
	}
	client, err := sandboxclient.New(base, opts...)
	if err != nil {
		return nil, fmt.Errorf("postbacksimtc: the sandbox client of %s: %w", base, err)
	}
	return client, nil
}

// Token is the admin token of WithAdminToken ("" when none was given).
func (c *Container) Token() string { return c.token }

// CreateNamespace creates the namespace name with POST
// /_admin/namespaces (with the admin token, if any). Run calls it for
// WithNamespace and WithNamespaces.
func (c *Container) CreateNamespace(ctx context.Context, name string) error {
	base, err := c.URL(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]string{"name": name})
	if err != nil {
		return fmt.Errorf("postbacksimtc: namespace %q: %w", name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/_admin/namespaces", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("postbacksimtc: namespace %q: %w", name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("postbacksimtc: create namespace %q: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("postbacksimtc: create namespace %q: POST /_admin/namespaces answered %s: %s", name, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// RunScenarios runs `postbacksim run ARGS… PATH` in the container and
// returns its exit code (0: every scenario passed; 1: one failed; 2: a
// file is invalid) and its output. PATH is ScenarioDir, where
// WithScenarioFiles copied the files, unless the last argument names
// something under it or another path of the container. Scenarios run on
// their own virtual clock, not against the serving sandbox; args are
// run's flags (--format junit, --target URL…).
func (c *Container) RunScenarios(ctx context.Context, args ...string) (exitCode int, output string, err error) {
	cmd := append([]string{"/postbacksim", "run"}, args...)
	if len(args) == 0 || !strings.HasPrefix(args[len(args)-1], "/") {
		cmd = append(cmd, ScenarioDir)
	}
	code, out, err := c.Exec(ctx, cmd, tcexec.Multiplexed())
	if err != nil {
		return code, "", fmt.Errorf("postbacksimtc: %s: %w", strings.Join(cmd, " "), err)
	}
	b, err := io.ReadAll(out)
	if err != nil {
		return code, string(b), fmt.Errorf("postbacksimtc: the output of %s: %w", strings.Join(cmd, " "), err)
	}
	return code, string(b), nil
}
