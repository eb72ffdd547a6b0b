package postbacksimtc

import (
	"fmt"
	"path"
	"path/filepath"
	"strconv"

	"github.com/testcontainers/testcontainers-go"
)

// ScenarioDir is the folder of the container that WithScenarioFiles
// copies scenario files into, and that RunScenarios runs by default.
const ScenarioDir = "/scenarios"

// ConfigPath is where WithConfigFile copies the settings file in the
// container (serve reads it with --config).
const ConfigPath = "/etc/postbacksim.yaml"

// settings are what the Options of this package set; Run turns them
// into the container request and the steps after start.
type settings struct {
	token       string
	namespace   string   // the one ActivateURL, V2URL and Client address
	namespaces  []string // every namespace to create, namespace among them
	strict      bool
	timeScale   float64
	scenarios   []string // host paths
	configFile  string   // host path
	flags       []string
	hostNetwork bool
}

// Option is an option of Run that concerns the sandbox rather than the
// container in general. It satisfies testcontainers.ContainerCustomizer,
// so it can be mixed with testcontainers' own options (WithEnv,
// WithLogConsumers…) in one call to Run.
type Option func(*settings) error

// Customize does nothing: Run applies an Option itself, before it
// builds the request. It makes Option a testcontainers.ContainerCustomizer.
func (o Option) Customize(*testcontainers.GenericContainerRequest) error { return nil }

// WithAdminToken starts the sandbox with --admin-token token: every
// /_admin/ request needs 'Authorization: Bearer TOKEN' (others get 401),
// and namespaces are created by the administrator only (Run does it for
// WithNamespace and WithNamespaces). Client sends the token.
func WithAdminToken(token string) Option {
	return func(s *settings) error {
		if token == "" {
			return fmt.Errorf("postbacksimtc: WithAdminToken: the token is empty")
		}
		s.token = token
		return nil
	}
}

// WithNamespace creates the namespace name when the container has
// started, and makes it the one ActivateURL, V2URL and Client address
// (/ns/NAME/…). Without it they address the namespace default.
func WithNamespace(name string) Option {
	return func(s *settings) error {
		if name == "" {
			return fmt.Errorf("postbacksimtc: WithNamespace: the name is empty")
		}
		s.namespace = name
		s.namespaces = appendNew(s.namespaces, name)
		return nil
	}
}

// WithNamespaces creates these namespaces when the container has
// started, without addressing them: NamespaceURL gives their base URLs.
func WithNamespaces(names ...string) Option {
	return func(s *settings) error {
		for _, n := range names {
			if n == "" {
				return fmt.Errorf("postbacksimtc: WithNamespaces: a name is empty")
			}
			s.namespaces = appendNew(s.namespaces, n)
		}
		return nil
	}
}

// WithStrict starts the sandbox with --strict: every Ocean warning (a
// milliseconds conv_time, os=ios, unknown fields…) becomes an error.
func WithStrict() Option {
	return func(s *settings) error {
		s.strict = true
		return nil
	}
}

// WithTimeScale starts the sandbox with --time-scale k: the impact.com
// retry schedule runs k times faster than real time (3600: an hour a
// second).
func WithTimeScale(k float64) Option {
	return func(s *settings) error {
		if !(k > 0) {
			return fmt.Errorf("postbacksimtc: WithTimeScale: %v: want a positive number", k)
		}
		s.timeScale = k
		return nil
	}
}

// WithScenarioFiles copies these scenario files (YAML, see
// docs/scenarios.md) into ScenarioDir in the container, under their
// base names, before it starts. The server does not load them itself:
// RunScenarios runs them in the container with `postbacksim run`.
func WithScenarioFiles(paths ...string) Option {
	return func(s *settings) error {
		for _, p := range paths {
			if p == "" {
				return fmt.Errorf("postbacksimtc: WithScenarioFiles: a path is empty")
			}
			s.scenarios = append(s.scenarios, p)
		}
		return nil
	}
}

// WithConfigFile copies this YAML settings file (keys named like serve's
// flags) to ConfigPath in the container and starts serve with
// --config pointing at it. Flags, including the other Options', take
// precedence over the file.
func WithConfigFile(path string) Option {
	return func(s *settings) error {
		if path == "" {
			return fmt.Errorf("postbacksimtc: WithConfigFile: the path is empty")
		}
		s.configFile = path
		return nil
	}
}

// WithFlags appends these flags to `postbacksim serve`'s command line,
// as given: WithFlags("--lenient"), WithFlags("--journal-capacity",
// "1000"). See `postbacksim serve --help` for the flags. --addr is the
// package's to set.
func WithFlags(flags ...string) Option {
	return func(s *settings) error {
		s.flags = append(s.flags, flags...)
		return nil
	}
}

// WithHostNetwork runs the container on the host's network (docker run
// --network host): the sandbox listens on a free port of the host's
// loopback interface, 127.0.0.1, and nothing is published. Without it,
// the container listens on 0.0.0.0:8080 in its own network and that
// port is published on a random host port. Host networking works on
// Linux Docker engines (on Docker Desktop, only where it is enabled).
func WithHostNetwork() Option {
	return func(s *settings) error {
		s.hostNetwork = true
		return nil
	}
}

// command is serve's command line for s; addr is empty when the image's
// own address (0.0.0.0:8080, from its environment) stands.
func (s *settings) command(addr string) []string {
	cmd := []string{"serve"}
	if addr != "" {
		cmd = append(cmd, "--addr", addr)
	}
	if s.token != "" {
		cmd = append(cmd, "--admin-token", s.token)
	}
	if s.strict {
		cmd = append(cmd, "--strict")
	}
	if s.timeScale != 0 {
		cmd = append(cmd, "--time-scale", strconv.FormatFloat(s.timeScale, 'g', -1, 64))
	}
	if s.configFile != "" {
		cmd = append(cmd, "--config", ConfigPath)
	}
	return append(cmd, s.flags...)
}

// files are the container files of s: the scenarios and the settings
// file, readable by the image's user (65532).
func (s *settings) files() []testcontainers.ContainerFile {
	var files []testcontainers.ContainerFile
	for _, p := range s.scenarios {
		files = append(files, testcontainers.ContainerFile{
			HostFilePath:      p,
			ContainerFilePath: path.Join(ScenarioDir, filepath.Base(p)),
			FileMode:          0o644,
		})
	}
	if s.configFile != "" {
		files = append(files, testcontainers.ContainerFile{HostFilePath: s.configFile, ContainerFilePath: ConfigPath, FileMode: 0o644})
	}
	return files
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
