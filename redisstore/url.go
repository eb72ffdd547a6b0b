package redisstore

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// URLForm is the form of the URL Open takes, for messages.
const URLForm = "redis://[USER:PASSWORD@]HOST:PORT/DB (rediss:// for TLS)"

// URLError is a Redis URL Open refuses: what is wrong with
// it and, when the fix is plain, the URL that was probably meant.
type URLError struct {
	// URL is the URL as given, its password hidden (Redact).
	URL string
	// Problem says what is wrong: "no host", "not a URL (no redis://)"…
	Problem string
	// Suggest is the URL probably meant (redis://127.0.0.1:6379/0 for
	// 127.0.0.1:6379), or empty.
	Suggest string
}

func (e *URLError) Error() string {
	msg := fmt.Sprintf("store %q: %s; want %s", e.URL, e.Problem, URLForm)
	if e.Suggest != "" {
		msg += "; did you mean " + e.Suggest + "?"
	}
	return msg
}

// CheckURL reports whether Open takes u, without
// connecting: nil, or a *URLError saying what is wrong.
func CheckURL(u string) error {
	bad := func(problem, suggest string) error {
		if p, err := url.Parse(u); err == nil && p.User != nil {
			if pw, ok := p.User.Password(); ok && pw != "" {
				problem = strings.ReplaceAll(problem, pw, "xxxxx")
			}
		}
		if secret, _, _ := userSecret(u); secret != "" {
			problem = strings.ReplaceAll(problem, secret, "xxxxx")
		}
		suggest = Redact(suggest)
		return &URLError{URL: Redact(u), Problem: problem, Suggest: suggest}
	}
	p, err := url.Parse(u)
	scheme, host := "", ""
	if err == nil {
		scheme, host = p.Scheme, p.Host
	}
	switch {
	case (scheme != "redis" && scheme != "rediss" || host == "") && looksHostPort(u):
		// 127.0.0.1:6379, or redis:6379 (a host named redis): the
		// scheme was left out.
		return bad("not a URL (no redis://)", "redis://"+u+"/0")
	case err != nil || scheme == "":
		return bad("not a URL", "")
	case p.Opaque != "" && scheme != "redis" && scheme != "rediss": // user:password@host:port
		return bad("not a URL (no redis://)", "")
	case scheme != "redis" && scheme != "rediss":
		suggest := ""
		if host != "" && p.User == nil {
			suggest = "redis://" + host + "/0"
		}
		return bad(fmt.Sprintf("scheme %q is not redis or rediss", scheme), suggest)
	case host == "":
		return bad("no host", "")
	}
	if _, err := redis.ParseURL(u); err != nil {
		return bad(strings.TrimPrefix(err.Error(), "redis: "), "")
	}
	return nil
}

// looksHostPort reports whether s is HOST:PORT alone, a numeric port
// after a host name or address.
func looksHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || strings.ContainsAny(host, "/@?#") {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

// Redact is u as messages and the log show it: its password hidden,
// in every spelling of a URL, parsed or not (redis://u:p@h, redis:/u:p@h,
// redis//u:p@h, u:p@h…): what sits between the first ':' of the user
// information (after the scheme and its slashes) and the last '@'. A
// user name without a password stays.
func Redact(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		if p.User != nil {
			return p.Redacted()
		}
		return u // an '@' past the host is no password (?client_name=a@b)
	}
	secret, start, end := userSecret(u)
	if secret == "" {
		return u
	}
	return u[:start] + "xxxxx" + u[end:]
}

// userSecret finds what Redact hides in u: the text and its bounds.
func userSecret(u string) (secret string, start, end int) {
	at := strings.LastIndex(u, "@")
	if at < 0 {
		return "", 0, 0
	}
	info := 0 // where the user information starts
	switch before := u[:at]; {
	case strings.Contains(before, "//"):
		info = strings.Index(before, "//") + 2
	case strings.Contains(before, ":/"):
		info = strings.Index(before, ":/") + 2
	}
	for info < at && u[info] == '/' {
		info++
	}
	colon := strings.Index(u[info:at], ":")
	if colon < 0 || info+colon+1 == at {
		return "", 0, 0 // a user name alone
	}
	start = info + colon + 1
	return u[start:at], start, at
}
