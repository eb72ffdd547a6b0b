package main

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/postbacksim/postbacksim/internal/loadgen"
)

// TestSpinningTakesItsTimeThenAnswers: a spinning handler holds each
// request at least its duration, then answers as the bare one does.
func TestSpinningTakesItsTimeThenAnswers(t *testing.T) {
	const d = 3 * time.Millisecond
	bare, spun := httptest.NewRecorder(), httptest.NewRecorder()
	loadgen.BareSuccess().ServeHTTP(bare, httptest.NewRequest("GET", "/track/activate/", nil))
	start := time.Now()
	spinning(d, loadgen.BareSuccess()).ServeHTTP(spun, httptest.NewRequest("GET", "/track/activate/", nil))
	if took := time.Since(start); took < d {
		t.Errorf("answered after %v, want at least %v", took, d)
	}
	if spun.Code != bare.Code || spun.Body.String() != bare.Body.String() {
		t.Errorf("answered %d %q, want the bare server's %d %q", spun.Code, spun.Body, bare.Code, bare.Body)
	}
}
