package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/postbacksim/postbacksim/internal/suggest"
)

// envPrefix starts the environment variable of every serve flag.
const envPrefix = "POSTBACKSIM_"

// envName is the environment variable of a flag: POSTBACKSIM_ADMIN_TOKEN
// for --admin-token.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// documentEnv appends each flag's environment variable to its usage.
func documentEnv(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) { f.Usage += " [$" + envName(f.Name) + "]" })
}

// applyEnvAndFile gives every flag not set on the command line its value
// from the environment or, failing that, from the YAML config file (keys
// are flag names): flags win over the environment, which wins over the
// file. Every error names its source.
func applyEnvAndFile(fs *flag.FlagSet, configPath string, getenv func(string) string) error {
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	file := map[string]any{}
	if configPath != "" {
		data, err := os.ReadFile(configPath)
		if err != nil {
			return fmt.Errorf("config file: %w", err)
		}
		if err := yaml.Unmarshal(data, &file); err != nil {
			return fmt.Errorf("config file %s: %s", configPath, yaml.FormatError(err, false, true))
		}
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		keys := make([]string, 0, len(file))
		for k := range file {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if fs.Lookup(k) == nil || k == "config" {
				hint := ""
				if best, ok := suggest.Closest(k, names); ok {
					hint = fmt.Sprintf(" (did you mean %q?)", best)
				}
				return fmt.Errorf("config file %s: unknown key %q%s", configPath, k, hint)
			}
		}
	}
	var firstErr error
	fs.VisitAll(func(f *flag.Flag) {
		if firstErr != nil || explicit[f.Name] || f.Name == "config" {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				firstErr = fmt.Errorf("environment %s=%q: %v", envName(f.Name), v, err)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if err := fs.Set(f.Name, fmt.Sprint(v)); err != nil {
				firstErr = fmt.Errorf("config file %s: %s: %q: %v", configPath, f.Name, fmt.Sprint(v), err)
			}
		}
	})
	return firstErr
}
