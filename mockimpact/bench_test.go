package mockimpact

import (
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
)

// BenchmarkRenderActionLifecycle renders the full action_lifecycle
// payload (64 fields, items through the impact.com document's join) as a
// POST JSON body
// plus a URL with macros. Target: ≥ 100k renders/s on one core.
//
//	go test ./mockimpact -run '^$' -bench RenderActionLifecycle -cpu 1
func BenchmarkRenderActionLifecycle(b *testing.B) {
	c, err := Compile(Postback{Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}&oid={Oid}"})
	if err != nil {
		b.Fatal(err)
	}
	ev := fixtures.NewImpactGen(1, time.Time{}).ActionLifecycle()
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = c.body.Append(dst[:0], ev)
		dst, _ = c.url.Append(dst[:0], ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
}

// BenchmarkRenderRequest is the whole Render (URL, body, headers) as
// strings, as the dispatcher uses it.
func BenchmarkRenderRequest(b *testing.B) {
	c, _ := Compile(Postback{Event: "action_lifecycle", URL: "https://brand.example/pb?aid={ActionId}",
		Headers: map[string]string{"Authorization": "Bearer x"}})
	ev := fixtures.NewImpactGen(1, time.Time{}).ActionLifecycle()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Render(ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
}
