package mockocean

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/postbacksim/postbacksim/fixtures"
)

func TestCallbackRoundTrip(t *testing.T) {
	is := NewIssuer([]byte("k"))
	g := fixtures.NewOceanGen(1)
	now := time.Date(2026, 4, 8, 9, 0, 0, 0, time.UTC)
	for i := range 50 {
		ref := RefOf(g.Click(now, i%3 == 0))
		cb := is.Issue(ref)
		if _, err := base64.URLEncoding.DecodeString(cb); err != nil {
			t.Fatalf("%q is not URL-safe base64", cb)
		}
		got, err := is.Parse(cb)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ref, got); diff != "" {
			t.Fatalf("(-issued +parsed):\n%s", diff)
		}
	}
}

func TestCallbackRejectsOthers(t *testing.T) {
	is := NewIssuer([]byte("key one"))
	ref := RefOf(fixtures.NewOceanGen(2).Click(time.Date(2026, 4, 8, 9, 0, 0, 0, time.UTC), false))
	other := NewIssuer([]byte("key two")).Issue(ref)
	if _, err := is.Parse(other); !errors.Is(err, ErrForged) {
		t.Fatalf("another key's callback: %v", err)
	}
	good := is.Issue(ref)
	raw, _ := base64.URLEncoding.DecodeString(good)
	raw[3] ^= 1 // alter the click id
	if _, err := is.Parse(base64.URLEncoding.EncodeToString(raw)); err == nil {
		t.Fatal("an altered callback verified")
	}
	seed := "EJiw267wvfQCGKf2g74ZIPD89-vIATAMOAFCIjIwMTkxMTI3MTQxMTEzMDEwMDI2MDc3MjE1MTUwNTczNTBIAQ=="
	for _, cb := range []string{seed, "", "!!!", "xxxx"} {
		if is.Verify(cb) {
			t.Errorf("%q verified", cb)
		}
	}
	if !is.Verify(good) || NewIssuer(nil).Verify(good) {
		t.Fatal("random keys must differ, and the right key must verify")
	}
}
