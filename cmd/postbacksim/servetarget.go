package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// serveSettings reads the listen address and scheme that `serve args…`
// uses, with the same precedence as serve itself: flags, then the
// environment (getenv), then the --config file (a relative path is read
// from dir). The address is one a client on the same host can dial:
// 0.0.0.0 and :: become 127.0.0.1.
func serveSettings(args []string, getenv func(string) string, dir string) (addr string, https bool, err error) {
	a := &app{stdout: io.Discard, stderr: io.Discard}
	root := a.newRoot()
	args, _ = normalizeArgs(root, args)
	serve, rest, err := root.Find(args)
	if err != nil || serve.Name() != "serve" {
		return "", false, errors.New("not a serve command line")
	}
	if err := serve.ParseFlags(rest); err != nil {
		return "", false, fmt.Errorf("serve flags: %w", err)
	}
	fs := serve.Flags()
	config, _ := fs.GetString("config")
	if config == "" {
		config = getenv(envName("config"))
	}
	if config != "" && !filepath.IsAbs(config) {
		config = filepath.Join(dir, config)
	}
	if _, err := applyEnvAndFile(fs, config, getenv); err != nil {
		return "", false, err
	}
	addr, _ = fs.GetString("addr")
	cert, _ := fs.GetString("tls-cert")
	return dialable(addr), cert != "", nil
}

// dialable turns a listen address into one a local client can dial.
func dialable(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// serveProcess reads the command line, environment and working folder
// of the process whose /proc folder is procDir, when it runs `… serve`:
// in the container, the server is process 1 and the HEALTHCHECK asks
// the address it was given, however it was given.
func serveProcess(procDir string) (args []string, getenv func(string) string, dir string, ok bool) {
	cmdline, err := os.ReadFile(filepath.Join(procDir, "cmdline"))
	if err != nil {
		return nil, nil, "", false
	}
	argv := splitNUL(cmdline)
	if len(argv) < 2 || !strings.Contains(filepath.Base(argv[0]), "postbacksim") {
		return nil, nil, "", false
	}
	env := map[string]string{}
	if raw, err := os.ReadFile(filepath.Join(procDir, "environ")); err == nil {
		for _, kv := range splitNUL(raw) {
			if k, v, found := strings.Cut(kv, "="); found {
				env[k] = v
			}
		}
	}
	dir, err = os.Readlink(filepath.Join(procDir, "cwd"))
	if err != nil {
		dir = "/"
	}
	return argv[1:], func(k string) string { return env[k] }, dir, true
}

func splitNUL(b []byte) []string {
	var out []string
	for _, f := range bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0}) {
		out = append(out, string(f))
	}
	return out
}
