package mockocean

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/postbacksim/postbacksim/fixtures"
)

// ClickRef is what a callback carries about its click: enough to
// attribute a conversion without a lookup.
type ClickRef struct {
	ClickID      uint64    `json:"click_id"`
	AdID         uint64    `json:"aid"`
	CreativeID   uint64    `json:"cid"`
	CampaignID   uint64    `json:"campaign_id"`
	AdvertiserID uint64    `json:"advertiser_id"`
	CSite        int       `json:"csite"`
	CType        int       `json:"ctype"`
	RequestID    string    `json:"request_id"`
	Impression   bool      `json:"impression,omitempty"`
	Play         bool      `json:"play,omitempty"`
	Time         time.Time `json:"time"`
}

// RefOf returns the reference a callback for c carries.
func RefOf(c fixtures.OceanClick) ClickRef {
	return ClickRef{
		ClickID: c.ClickID, AdID: c.AdID, CreativeID: c.CreativeID, CampaignID: c.CampaignID,
		AdvertiserID: c.AdvertiserID, CSite: c.CSite, CType: c.CType, RequestID: c.RequestID,
		Impression: c.Impression, Play: c.Play, Time: c.Time.UTC().Truncate(time.Millisecond),
	}
}

// Issuer issues and verifies callbacks. A callback is, like Ocean
// Engine's own, URL-safe base64 of a protobuf-encoded record (the Ocean
// Engine document's example decodes that way; our decision:
// docs/platforms.md#d-ocean-callback): the click reference, then a keyed MAC
// (HMAC-SHA256, first 10 bytes) in field 15, so the emulator recognises
// its own callbacks and nobody else's. Safe for concurrent use.
type Issuer struct {
	key []byte
}

// CallbackKeySize is the size of a random callback key.
const CallbackKeySize = 32

// NewIssuer returns an issuer with key; an empty key means a random one.
func NewIssuer(key []byte) *Issuer {
	if len(key) == 0 {
		key = make([]byte, CallbackKeySize)
		if _, err := rand.Read(key); err != nil {
			panic(fmt.Sprintf("mockocean: reading a random callback key: %v", err))
		}
	}
	return &Issuer{key: append([]byte(nil), key...)}
}

// Protobuf field numbers of the callback record.
const (
	fieldClickID = 1 + iota
	fieldAdID
	fieldCreativeID
	fieldCampaignID
	fieldAdvertiserID
	fieldCSite
	fieldCType
	fieldRequestID
	fieldKind
	fieldTime
	fieldMAC = 15
	macSize  = 10
)

// Issue returns the callback for a click.
func (is *Issuer) Issue(r ClickRef) string {
	var b []byte
	for _, f := range []struct {
		n int
		v uint64
	}{{fieldClickID, r.ClickID}, {fieldAdID, r.AdID}, {fieldCreativeID, r.CreativeID}, {fieldCampaignID, r.CampaignID},
		{fieldAdvertiserID, r.AdvertiserID}, {fieldCSite, uint64(r.CSite)}, {fieldCType, uint64(r.CType)}} {
		b = appendVarintField(b, f.n, f.v)
	}
	b = appendBytesField(b, fieldRequestID, []byte(r.RequestID))
	kind := uint64(1)
	switch {
	case r.Impression:
		kind = 2
	case r.Play:
		kind = 3
	}
	b = appendVarintField(b, fieldKind, kind)
	b = appendVarintField(b, fieldTime, uint64(r.Time.UnixMilli()))
	b = appendBytesField(b, fieldMAC, is.mac(b))
	return base64.URLEncoding.EncodeToString(b)
}

func (is *Issuer) mac(record []byte) []byte {
	h := hmac.New(sha256.New, is.key)
	h.Write(record)
	return h.Sum(nil)[:macSize]
}

// Errors of Parse.
var (
	ErrNotACallback = errors.New("not a callback this emulator issued")
	ErrForged       = errors.New("callback MAC does not match: issued with another key, or altered")
)

// Parse decodes and verifies a callback.
func (is *Issuer) Parse(cb string) (ClickRef, error) {
	// Every callback issued starts with field 1's key, 0x08: "C" in base64.
	// This rejects most foreign callbacks before any decoding.
	if len(cb) < 8 || cb[0] != 'C' {
		return ClickRef{}, ErrNotACallback
	}
	b, err := base64.URLEncoding.DecodeString(cb)
	if err != nil {
		if b, err = base64.RawURLEncoding.DecodeString(cb); err != nil {
			return ClickRef{}, fmt.Errorf("%w: not URL-safe base64", ErrNotACallback)
		}
	}
	var r ClickRef
	var kind, millis uint64
	var gotMAC []byte
	signed := 0
	for off := 0; off < len(b); {
		start := off
		key, n := binary.Uvarint(b[off:])
		if n <= 0 {
			return ClickRef{}, fmt.Errorf("%w: bad field key", ErrNotACallback)
		}
		off += n
		field, wire := key>>3, key&7
		switch wire {
		case 0:
			v, n := binary.Uvarint(b[off:])
			if n <= 0 {
				return ClickRef{}, fmt.Errorf("%w: bad varint", ErrNotACallback)
			}
			off += n
			switch field {
			case fieldClickID:
				r.ClickID = v
			case fieldAdID:
				r.AdID = v
			case fieldCreativeID:
				r.CreativeID = v
			case fieldCampaignID:
				r.CampaignID = v
			case fieldAdvertiserID:
				r.AdvertiserID = v
			case fieldCSite:
				r.CSite = int(v)
			case fieldCType:
				r.CType = int(v)
			case fieldKind:
				kind = v
			case fieldTime:
				millis = v
			}
		case 2:
			l, n := binary.Uvarint(b[off:])
			if n <= 0 || uint64(len(b)-off-n) < l {
				return ClickRef{}, fmt.Errorf("%w: bad length", ErrNotACallback)
			}
			off += n
			v := b[off : off+int(l)]
			off += int(l)
			switch field {
			case fieldRequestID:
				r.RequestID = string(v)
			case fieldMAC:
				gotMAC, signed = v, start
			}
		default:
			return ClickRef{}, fmt.Errorf("%w: wire type %d", ErrNotACallback, wire)
		}
	}
	if gotMAC == nil {
		return ClickRef{}, fmt.Errorf("%w: no MAC", ErrNotACallback)
	}
	if !hmac.Equal(gotMAC, is.mac(b[:signed])) {
		return ClickRef{}, ErrForged
	}
	r.Impression, r.Play = kind == 2, kind == 3
	r.Time = time.UnixMilli(int64(millis)).UTC()
	return r, nil
}

// Verify reports whether cb is a callback this issuer issued: Issuer is
// the CallbackVerifier of strict attribution mode.
func (is *Issuer) Verify(cb string) bool {
	_, err := is.Parse(cb)
	return err == nil
}

func appendVarintField(b []byte, field int, v uint64) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3)
	return binary.AppendUvarint(b, v)
}

func appendBytesField(b []byte, field int, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}
