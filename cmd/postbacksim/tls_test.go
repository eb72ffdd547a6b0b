package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key to dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "postbacksim test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLS: with --tls-cert and --tls-key the sandbox answers over
// HTTPS, and healthcheck finds it without being told.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile, "--log-format", "json"}, io.Discard, &stderr)
	}()
	urlRE := regexp.MustCompile(`"url":"https://(127\.0\.0\.1:\d+)"`)
	var addr string
	for deadline := time.Now().Add(5 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("server did not log an https URL:\n%s", stderr.String())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/track/activate/?callback=c&idfa=i&event_type=0")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"code":0,"ret":0,"msg":"success"}` {
		t.Fatalf("answer %s", body)
	}
	t.Setenv("POSTBACKSIM_ADDR", addr)
	if code, out, errs := runCLI("healthcheck"); code != exitOK || strings.TrimSpace(out) != "ok" {
		t.Errorf("healthcheck of an HTTPS server started with flags: %d %s %s", code, out, errs)
	}
	t.Setenv("POSTBACKSIM_TLS_CERT", certFile) // as a container would set it
	// The server logs the plain-HTTP probe after answering it: wait for it.
	before := 0
	for deadline := time.Now().Add(2 * time.Second); before == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		before = strings.Count(stderr.String(), "HTTP request to an HTTPS server")
	}
	if before == 0 {
		t.Errorf("the server did not log the plain-HTTP probe (its ErrorLog goes to the request log):\n%s", stderr.String())
	}
	if code, out, errs := runCLI("healthcheck"); code != exitOK || strings.TrimSpace(out) != "ok" {
		t.Errorf("healthcheck with $POSTBACKSIM_TLS_CERT: %d %s %s", code, out, errs)
	}
	if after := strings.Count(stderr.String(), "HTTP request to an HTTPS server"); after != before {
		t.Errorf("with $POSTBACKSIM_TLS_CERT the healthcheck still tried plain HTTP first")
	}
	if code, _, errs := runCLI("healthcheck", "--url", "http://"+addr+"/healthz"); code != exitFail || !strings.Contains(errs, "answered 400") {
		t.Errorf("an explicit http URL must not be upgraded: %d %s", code, errs)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
}

func TestServeTLSFlagErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, _, _ := selfSigned(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certFile}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-key", certFile}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-cert", certFile, "--tls-key", filepath.Join(dir, "missing.pem")}, "missing.pem"},
		{[]string{"--tls-cert", certFile, "--tls-key", certFile}, "--tls-key " + certFile},
	} {
		code, _, errs := runCLI(append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want exit %d naming %q", c.args, code, errs, exitUsage, c.want)
		}
	}
}
