package inspector

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
)

// BenchmarkEncode is the stream's cost per Ocean request: read back
// from the journal and encoded, once for every stream.
func BenchmarkEncode(b *testing.B) {
	oc := mockocean.New(mockocean.Config{JournalCapacity: 2000})
	for i := range 1000 {
		oc.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fmt.Sprintf("/track/activate/?callback=cb%d&idfa=FCD369C3-F622-44B8-AFDE-%012d&event_type=2&outer_event_id=e%d", i, i, i), nil))
	}
	t := &Tenant{Ocean: oc, Feed: NewFeed(0)}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		cur := Cursor{}
		encode(t, &buf, &cur, Cursor{Ocean: 1000}, 1000)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/request")
}
