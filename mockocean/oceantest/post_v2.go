package oceantest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/postbacksim/postbacksim/mockocean"
)

// PostV2 posts body to url as a v2 conversion (Content-Type
// application/json, plus header) and reads the answer. It returns an
// error for a failed request, an HTTP status other than 200 or a body
// that is not a v2 answer; it calls no testing method, so goroutines may
// use it.
func PostV2(url, body string, header http.Header) (mockocean.V2Answer, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return mockocean.V2Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return mockocean.V2Answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return mockocean.V2Answer{}, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return mockocean.V2Answer{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	var a mockocean.V2Answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return mockocean.V2Answer{}, fmt.Errorf("not a v2 answer: %w: %s", err, raw)
	}
	return a, nil
}
