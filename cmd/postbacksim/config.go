package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
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

// applyEnvAndFile gives every flag not set on the command line its value
// from the environment or, failing that, from the YAML config file (keys
// are flag names): flags win over the environment, which wins over the
// file. Every error names its source.
func applyEnvAndFile(fs *pflag.FlagSet, configPath string, getenv func(string) string) error {
	explicit := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { explicit[f.Name] = true })
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
				return fmt.Errorf("config file %s: unknown key %q%s", configPath, k, hint)
			}
		}
	}
	var firstErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if firstErr != nil || explicit[f.Name] || notFromEnv[f.Name] {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := setValue(f, v); err != nil {
				firstErr = fmt.Errorf("environment %s=%q: %v", envName(f.Name), v, err)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if err := setValue(f, fmt.Sprint(v)); err != nil {
				firstErr = fmt.Errorf("config file %s: %s: %q: %v", configPath, f.Name, fmt.Sprint(v), err)
			}
		}
	})
	return firstErr
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
			return errors.New("parse error")
		}
		return err
	}
	f.Changed = true
	return nil
}
