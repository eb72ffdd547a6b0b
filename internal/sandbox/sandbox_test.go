package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/mockocean"
)

func TestSandboxRoutesAndLogs(t *testing.T) {
	var logs bytes.Buffer
	sb := New(Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	hs := httptest.NewServer(sb)
	defer hs.Close()

	check := func(path string, wantStatus int, wantBody string) {
		t.Helper()
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != wantStatus || !strings.Contains(string(b), wantBody) {
			t.Fatalf("GET %s: %d %s, want %d containing %s", path, resp.StatusCode, b, wantStatus, wantBody)
		}
	}
	check("/healthz", 200, `"ok"`)
	check("/readyz", 200, `"ok"`)
	check("/track/activate/?callback=c&idfa=i&event_type=2", 200, `{"code":0,"ret":0,"msg":"success"}`)
	check("/track/activate/?callback=c", 200, `"code":40002`)
	check("/nowhere", 404, `"error"`)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d log lines, want one per request:\n%s", len(lines), logs.String())
	}
	var entry struct {
		Msg, Method, Path string
		Status, Code      int
	}
	if err := json.Unmarshal([]byte(lines[3]), &entry); err != nil {
		t.Fatal(err)
	}
	if entry.Path != "/track/activate/" || entry.Status != 200 || entry.Code != mockocean.CodeDeviceInfo {
		t.Fatalf("log line %s", lines[3])
	}
	if !strings.Contains(lines[4], `"status":404`) || strings.Contains(lines[4], `"code"`) {
		t.Fatalf("404 log line %s", lines[4])
	}
}
