package redisstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/postbacksim/postbacksim/redisstore"
)

// TestURLErrorsEchoTheURLWithoutItsPassword: a URL Open refuses is echoed as given
// (its password hidden, parsed or not), with what is wrong and, when
// the fix is plain, the URL probably meant.
func TestURLErrorsEchoTheURLWithoutItsPassword(t *testing.T) {
	cases := []struct {
		url, echo, problem, suggest string
	}{
		{"redis://", "redis://", "no host", ""},
		{"redis:///0", "redis:///0", "no host", ""},
		{"127.0.0.1:18190", "127.0.0.1:18190", "not a URL (no redis://)", "redis://127.0.0.1:18190/0"},
		{"localhost:6379", "localhost:6379", "not a URL (no redis://)", "redis://localhost:6379/0"},
		{"redis:6379", "redis:6379", "not a URL (no redis://)", "redis://redis:6379/0"},
		{"[::1]:6379", "[::1]:6379", "not a URL (no redis://)", "redis://[::1]:6379/0"},
		{"myredis", "myredis", "not a URL", ""},
		{"http://127.0.0.1:6379", "http://127.0.0.1:6379", `scheme "http" is not redis or rediss`, "redis://127.0.0.1:6379/0"},
		{"http://u:s3cret@127.0.0.1:6379", "http://u:xxxxx@127.0.0.1:6379", `scheme "http" is not redis or rediss`, ""},
		{"redis://127.0.0.1:6379/abc", "redis://127.0.0.1:6379/abc", `invalid database number: "abc"`, ""},
		{"redis://:s3cret@127.0.0.1:6379/abc", "redis://:xxxxx@127.0.0.1:6379/abc", `invalid database number: "abc"`, ""},
		// Does not parse (a space in the password): hidden all the same.
		{"redis://user:s3 cret@127.0.0.1:6379/0", "redis://user:xxxxx@127.0.0.1:6379/0", "not a URL", ""},
		{"user:s3cret@127.0.0.1:6379", "user:xxxxx@127.0.0.1:6379", "not a URL (no redis://)", ""},
		// Misspelled schemes: no host for url.Parse, hidden all the same.
		{"redis:/user:s3cretPW@h:1/0", "redis:/user:xxxxx@h:1/0", "no host", ""},
		{"redis//user:s3cretPW@h:1/0", "redis//user:xxxxx@h:1/0", "not a URL", ""},
		{"rediss//:s3cretPW@h:1/0", "rediss//:xxxxx@h:1/0", "not a URL", ""},
		{"redis:user:s3cretPW@h:1/0", "redis:xxxxx@h:1/0", "no host", ""},
	}
	for _, c := range cases {
		_, err := redisstore.Open(redisstore.Options{URL: c.url})
		var ue *redisstore.URLError
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v; want a *URLError", c.url, err)
			continue
		}
		if ue.URL != c.echo || ue.Problem != c.problem || ue.Suggest != c.suggest {
			t.Errorf("%q: URL %q, problem %q, suggest %q; want %q, %q, %q", c.url, ue.URL, ue.Problem, ue.Suggest, c.echo, c.problem, c.suggest)
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "s3cretPW") || !strings.Contains(err.Error(), "want "+redisstore.URLForm) {
			t.Errorf("%q: %q; want the form, without the password", c.url, err)
		}
	}
	for _, ok := range []string{"redis://127.0.0.1:6379/0", "rediss://u:p@redis.example:6380/2", "redis://127.0.0.1"} {
		if err := redisstore.CheckURL(ok); err != nil {
			t.Errorf("%q: %v; want it taken", ok, err)
		}
	}
}

func TestRedactHidesThePassword(t *testing.T) {
	for in, want := range map[string]string{
		"redis://127.0.0.1:6379/0":      "redis://127.0.0.1:6379/0",
		"redis://:pw@127.0.0.1:6379/0":  "redis://:xxxxx@127.0.0.1:6379/0",
		"redis://user@127.0.0.1:6379/0": "redis://user@127.0.0.1:6379/0",
		"redis://u:p w@h:1/0":           "redis://u:xxxxx@h:1/0",
		"redis://u:p@w@h:1/0":           "redis://u:xxxxx@h:1/0",
		"127.0.0.1:18190":               "127.0.0.1:18190",
		"host:pw@127.0.0.1:6379":        "host:xxxxx@127.0.0.1:6379",
		"redis://h:1/0?client_name=a@b": "redis://h:1/0?client_name=a@b",
		"redis:/user:pw@h:1/0":          "redis:/user:xxxxx@h:1/0",
		"redis//user:pw@h:1/0":          "redis//user:xxxxx@h:1/0",
		"rediss//:pw@h:1/0":             "rediss//:xxxxx@h:1/0",
		"redis:///user:pw@h":            "redis:///user:xxxxx@h",
	} {
		if got := redisstore.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q; want %q", in, got, want)
		}
	}
}
