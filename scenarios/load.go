package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads and checks the scenario file at path. Its error is an Errors
// listing every problem with file, line and column.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: err.Error()}}
	}
	return Parse(path, data)
}

// Parse reads and checks a scenario; file names it in errors. It never
// panics: a panic inside the YAML library becomes an Error for the file.
func Parse(file string, data []byte) (sc *Scenario, err error) {
	defer func() {
		if r := recover(); r != nil {
			sc, err = nil, Errors{{File: file, Line: 1, Col: 1, Msg: fmt.Sprintf("%s (%v); please report it with the file", parserPanic, r)}}
		}
	}()
	return parse(file, data)
}

// parserPanic starts the message of an Error that stands for a panic.
const parserPanic = "the YAML parser failed on this file"

func parse(file string, data []byte) (*Scenario, error) {
	doc, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Errors{yamlError(file, err)}
	}
	if len(doc.Docs) == 0 || doc.Docs[0].Body == nil {
		return nil, Errors{{File: file, Line: 1, Col: 1, Msg: "empty file: a scenario needs at least name and impact or ocean"}}
	}
	if len(doc.Docs) > 1 {
		tk := doc.Docs[1].Body
		e := &Error{File: file, Msg: "one scenario per file: a second YAML document starts here"}
		if tk != nil {
			e.Line, e.Col = tk.GetToken().Position.Line, tk.GetToken().Position.Column
		}
		return nil, Errors{e}
	}
	w := &walker{file: file, pos: map[string]position{}, nodes: map[string]ast.Node{}, lines: strings.Split(string(data), "\n")}
	w.walk(doc.Docs[0].Body, reflect.TypeFor[Scenario](), "")
	if len(w.errs) > 0 {
		return nil, w.errs
	}
	var sc Scenario
	if err := yaml.NodeToValue(doc.Docs[0].Body, &sc, yaml.Strict()); err != nil {
		return nil, Errors{yamlError(file, err)}
	}
	sc.File = file
	v := &validator{walker: w}
	v.scenario(&sc)
	if len(v.errs) > 0 {
		sort.SliceStable(v.errs, func(i, j int) bool {
			a, b := v.errs[i], v.errs[j]
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		})
		return nil, v.errs
	}
	return &sc, nil
}

var goStructField = regexp.MustCompile(`Go struct field [\w.]+ of type `)

// yamlError turns a go-yaml error into an Error at its position.
func yamlError(file string, err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		e := &Error{File: file, Msg: goStructField.ReplaceAllString(ye.GetMessage(), "a value of type ")}
		if tk := ye.GetToken(); tk != nil {
			e.Line, e.Col = tk.Position.Line, tk.Position.Column
		}
		return e
	}
	return &Error{File: file, Msg: err.Error()}
}

// Find expands paths into scenario files: files as given, folders walked
// for *.yaml and *.yml, skipping folders named testdata or starting with
// a dot. The result is sorted within each folder.
func Find(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no *.yaml or *.yml scenario files", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
