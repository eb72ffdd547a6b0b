package mockimpact

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/postbacksim/postbacksim/clock"
	"github.com/postbacksim/postbacksim/fixtures"
)

// TestJobRecords: one row per record processed, the same rows for the same
// job, and an export whose reader went away stops writing.
func TestJobRecords(t *testing.T) {
	ev := fixtures.NewImpactGen(4, fixtures.DefaultImpactTime).JobCompleted()
	ev.RecordsProcessed = 50
	var a, b strings.Builder
	if err := JobRecords(context.Background(), &a, ev); err != nil {
		t.Fatal(err)
	}
	_ = JobRecords(context.Background(), &b, ev)
	if lines := strings.Count(a.String(), "\n"); lines != 51 || a.String() != b.String() {
		t.Fatalf("%d lines; same job, same file: %v", lines, a.String() == b.String())
	}
	ev.RecordsProcessed = MaxJobRecords * 4
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var c strings.Builder
	if err := JobRecords(ctx, &c, ev); err == nil || strings.Count(c.String(), "\n") > 1 {
		t.Fatalf("a cancelled export kept writing: %v", err)
	}
}

// blockingWriter holds its first Write until release is closed.
type blockingWriter struct {
	*httptest.ResponseRecorder
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.once.Do(func() { close(b.started); <-b.release })
	return b.ResponseRecorder.Write(p)
}

// TestJobResultDownloadsAreBounded: while maxResultDownloads results are
// being written, another download gets 429 with Retry-After; once they
// end, downloads work again.
func TestJobResultDownloadsAreBounded(t *testing.T) {
	j := NewJobs(clock.Real{}, 0)
	ev := fixtures.NewImpactGen(4, fixtures.DefaultImpactTime).JobCompleted()
	ev.RecordsProcessed = 10
	j.Register(ev, "http://sandbox", nil)
	path := fmt.Sprintf("%sjobs/%d/result", JobsPrefix, ev.JobId)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range maxResultDownloads {
		w := &blockingWriter{ResponseRecorder: httptest.NewRecorder(), started: make(chan struct{}), release: release}
		wg.Add(1)
		go func() { defer wg.Done(); j.ServeHTTP(w, httptest.NewRequest("GET", path, nil)) }()
		<-w.started
	}
	w := httptest.NewRecorder()
	j.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Errorf("a download past the bound: %d %q", w.Code, w.Header().Get("Retry-After"))
	}
	close(release)
	wg.Wait()
	w = httptest.NewRecorder()
	j.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
	if w.Code != 200 || strings.Count(w.Body.String(), "\n") != 11 {
		t.Errorf("a download after the others ended: %d, %d lines", w.Code, strings.Count(w.Body.String(), "\n"))
	}
}
