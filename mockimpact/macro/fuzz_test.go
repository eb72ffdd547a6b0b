package macro

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
)

// FuzzTemplate: any source either fails with a positioned *Error or
// compiles and renders; JSON-context output of a template that is valid
// JSON around its macros stays valid; URL output parses.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{seedItemsMultiLine, seedItemsOneLine, `{"a":"{ActionId}","n":{Amount}}`,
		"https://x/{ActionId}?a={Note}", `{join(items, i, "\"{i.sku}\"")}`, `\{x\} {`, "{", `{join(`, `{a.b}`} {
		f.Add(s)
	}
	ev := fixtures.NewImpactGen(2, time.Time{}).ActionLifecycle()
	ev.Note = "q\"\\\n中"
	f.Fuzz(func(t *testing.T, src string) {
		for _, ctx := range []Context{Header, URL, JSON, Form} {
			tpl, err := Compile("f", src, ctx, lifecycleType)
			if err != nil {
				var me *Error
				if !errors.As(err, &me) || me.Pos.Line < 1 || me.Pos.Col < 1 {
					t.Fatalf("error without a position: %v", err)
				}
				continue
			}
			out, err := tpl.Render(ev)
			if err != nil {
				t.Fatal(err)
			}
			if ctx == JSON {
				// The same event with a harmless Note: if that renders valid
				// JSON, escaping must keep the real rendering valid too.
				plain := *ev
				plain.Note = "plain"
				skeleton, _ := tpl.Render(&plain)
				if json.Valid([]byte(skeleton)) && !json.Valid([]byte(out)) {
					t.Fatalf("template renders invalid JSON:\n%s\n%s", skeleton, out)
				}
			}
			if ctx == URL {
				if _, err := url.Parse("http://h/" + out); err != nil && validURL(src) {
					t.Fatalf("URL render does not parse: %v", err)
				}
			}
		}
	})
}

// validURL reports whether the template's own text parses as a URL path.
func validURL(src string) bool {
	_, err := url.Parse("http://h/" + src)
	return err == nil
}
