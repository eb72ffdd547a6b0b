package mockimpact

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// exchange is what one attempt produced, before classification.
type exchange struct {
	invalidURL error
	dnsErr     error
	blocked    error // refused by the target policy
	netErr     error
	status     int
	body       []byte
}

// Network error kinds recorded in the journal.
const (
	ErrKindTimeout = "timeout"
	ErrKindRefused = "refused"
	ErrKindReset   = "reset"
	ErrKindTLS     = "tls"
	ErrKindOther   = "other"
)

// networkErrorKind names what kind of network error err is.
func networkErrorKind(err error) string {
	var ne net.Error
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrTimeout), errors.As(err, &ne) && ne.Timeout():
		return ErrKindTimeout
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, ErrRefused):
		return ErrKindRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, ErrReset), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrKindReset
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		strings.Contains(err.Error(), "tls:"):
		return ErrKindTLS
	}
	return ErrKindOther
}

// Errors a simulated exchange can fail with; real transports fail with
// the corresponding syscall and net errors.
var (
	ErrTimeout = errors.New("timeout awaiting response")
	ErrRefused = errors.New("connection refused")
	ErrReset   = errors.New("connection reset by peer")
)
