package sandbox

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/internal/testtb"
)

// TestMemoryBudgetIsSandboxWide: four namespaces flooded with 64 KiB
// requests hold, together, no more than the sandbox's budget (plus the
// newest request); the oldest go first whichever namespace holds them,
// the journal stats and /metrics count the evictions, and a removed
// namespace gives its share back.
func TestMemoryBudgetIsSandboxWide(t *testing.T) {
	const budget = 4 << 20
	sb := New(Config{MemoryBudget: budget})
	defer sb.Close()
	hs := httptest.NewServer(sb)
	defer hs.Close()
	c := client{t: t, base: hs.URL}
	pad := strings.Repeat("x", 64<<10)
	names := []string{"a", "b", "c", "d"}
	for i := range 100 {
		for _, ns := range names {
			body := fmt.Sprintf(`{"callback":"c","idfa":"i","event_type":2,"outer_event_id":"%s-%d","pad":"%s"}`, ns, i, pad)
			if s, b := c.do("POST", "/ns/"+ns+"/track/activate/", body); s != 200 {
				t.Fatalf("%s: %d %s", ns, s, b)
			}
		}
	}
	st := sb.MemoryStats()
	if st.Held > budget+80<<10 || st.Held < budget/2 || st.Evicted == 0 {
		t.Fatalf("after 400 requests of 64 KiB in 4 namespaces under a %d budget: %+v", budget, st)
	}
	var sum int64
	for _, ns := range names {
		tn := testtb.Must(sb.Namespace(context.Background(), ns))
		js := testtb.Must(tn.Ocean.JournalStats(context.Background()))
		ds := testtb.Must(tn.Ocean.DedupStats(context.Background()))
		if js.Evicted == 0 || js.Stored == 0 || ds.Evicted != 0 || ds.Size != 100 {
			t.Errorf("namespace %s: journal %+v, filter %+v; want entries evicted, the newest kept, every id remembered", ns, js, ds)
		}
		sum += js.Bytes + ds.Bytes
	}
	if sum != st.Held {
		t.Errorf("the namespaces hold %d, the budget counts %d", sum, st.Held)
	}
	if s, b := c.do("GET", "/metrics", ""); s != 200 || !strings.Contains(b, "postbacksim_memory_evicted_total") || !strings.Contains(b, "postbacksim_memory_budget_bytes "+strconv.FormatFloat(budget, 'g', -1, 64)) {
		t.Errorf("/metrics lacks the budget's figures: %d\n%s", s, b)
	}
	if err := sb.DeleteNamespace(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if after := sb.MemoryStats().Held; after >= st.Held {
		t.Errorf("removing a namespace gave nothing back: %d then %d", st.Held, after)
	}
}
