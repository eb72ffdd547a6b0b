package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/spf13/pflag"

	"github.com/postbacksim/postbacksim/internal/suggest"
)

// envPrefix starts the environment variable of every serve flag.
const envPrefix = "POSTBACKSIM_"

// envName is the environment variable of a flag: POSTBACKSIM_ADMIN_TOKEN
// for --admin-token.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// notFromEnv are the flags the environment and the config file do not set.
var notFromEnv = map[string]bool{"config": true, "help": true}

// documentEnv appends each flag's environment variable to its usage.
func documentEnv(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			f.Usage += " [$" + envName(f.Name) + "]"
		}
	})
}

// sources says where the settings that did not come from their flags
// came from: "environment POSTBACKSIM_STORE", or "config file
// postbacksim.yaml:3: store". The checks serve makes once every value is
// read name the source with of, as the parse errors of applyEnvAndFile
// do.
type sources map[string]string

// of names where setting name came from: its variable, its line of the
// config file, or its flag (given, or the default).
func (s sources) of(name string) string {
	if src, ok := s[name]; ok {
		return src
	}
	return "--" + name
}

// applyEnvAndFile gives every flag not set on the command line its value
// from the environment or, failing that, from the YAML config file (keys
// are flag names): flags win over the environment, which wins over the
// file. Every error names its source: the variable, or the file and line;
// so can the caller's, with the sources returned.
func applyEnvAndFile(fs *pflag.FlagSet, configPath string, getenv func(string) string) (sources, error) {
	explicit := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { explicit[f.Name] = true })
	file := map[string]any{}
	var lines map[string]int
	where := func(k string) string {
		if l, ok := lines[k]; ok {
			return fmt.Sprintf("%s:%d", configPath, l)
		}
		return configPath
	}
	if configPath != "" {
		data, err := os.ReadFile(configPath)
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		if err := yaml.Unmarshal(data, &file); err != nil {
			return nil, fmt.Errorf("config file %s: %s", configPath, yaml.FormatError(err, false, true))
		}
		lines = keyLines(data)
		var names []string
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" {
				names = append(names, f.Name)
			}
		})
		keys := make([]string, 0, len(file))
		for k := range file {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if fs.Lookup(k) == nil || notFromEnv[k] {
				hint := ""
				if best, ok := suggest.Closest(k, names); ok {
					hint = fmt.Sprintf(" (did you mean %q?)", best)
				}
				return nil, fmt.Errorf("config file %s: unknown key %q%s", where(k), k, hint)
			}
			switch file[k].(type) {
			case []any, map[string]any:
				return nil, fmt.Errorf("config file %s: %s: want one value, not a list or a map", where(k), k)
			}
		}
	}
	var firstErr error
	from := sources{}
	fs.VisitAll(func(f *pflag.Flag) {
		if firstErr != nil || explicit[f.Name] || notFromEnv[f.Name] {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			from[f.Name] = "environment " + envName(f.Name)
			if err := setValue(f, v); err != nil {
				firstErr = fmt.Errorf("environment %s=%q: %v", envName(f.Name), v, err)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			from[f.Name] = fmt.Sprintf("config file %s: %s", where(f.Name), f.Name)
			if err := setValue(f, fmt.Sprint(v)); err != nil {
				firstErr = fmt.Errorf("config file %s: %s: %q: %v", where(f.Name), f.Name, fmt.Sprint(v), err)
			}
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return from, nil
}

// keyLines maps each top-level key of a YAML mapping to its line.
func keyLines(data []byte) map[string]int {
	out := map[string]int{}
	f, err := parser.ParseBytes(data, 0)
	if err != nil || len(f.Docs) == 0 {
		return out
	}
	m, ok := f.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return out
	}
	for _, kv := range m.Values {
		if tk := kv.Key.GetToken(); tk != nil {
			out[strings.Trim(kv.Key.String(), `"'`)] = tk.Position.Line
		}
	}
	return out
}

// wantFor says what a flag of type typ takes, for parse errors.
func wantFor(typ string) string {
	switch typ {
	case "int", "int64", "uint64":
		return "want a whole number"
	case "float64":
		return "want a number"
	case "duration":
		return `want a duration such as "30s", "5m" or "2h"`
	case "bool":
		return "want true or false"
	case "size":
		return "want a size such as 64KB or 256MiB"
	}
	return "want a " + typ
}

// setValue sets f as if given on the command line. The error is the
// value's own, without pflag's "invalid argument … for --flag" wrapping
// (the caller names the source), and a number that does not parse reads
// "parse error" or "value out of range", as with Go's flag package.
func setValue(f *pflag.Flag, v string) error {
	if err := f.Value.Set(v); err != nil {
		var ne *strconv.NumError
		switch {
		case errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange):
			return errors.New("value out of range")
		case errors.As(err, &ne):
			return errors.New("parse error: " + wantFor(f.Value.Type()))
		}
		return err
	}
	f.Changed = true
	return nil
}
