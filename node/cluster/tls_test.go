package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// testCA is a throwaway certificate authority made in the test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a certificate for localhost, usable by client and server.
func (ca *testCA) issue(t *testing.T, serial int64) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "node"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestTLS(t *testing.T) {
	ca, other := newCA(t, "gerl test CA"), newCA(t, "another CA")
	serial := int64(10)
	ns := tcpNodes(t, 3, func(c *Config) {
		serial++
		switch c.Name {
		case "c@localhost": // a certificate from a CA the others do not trust
			c.TLS = &TLSConfig{Certificate: other.issue(t, serial), CA: ca.pool}
		default:
			c.TLS = &TLSConfig{Certificate: ca.issue(t, serial), CA: ca.pool}
		}
	})
	a, b, c := ns[0], ns[1], ns[2]
	pid := echo(t, b.Dist, "echo")
	p := proc(t, a.Dist)
	if err := p.Send(pid, "x"); err != nil {
		t.Fatalf("send over TLS: %v", err)
	}
	if !a.Ping(context.Background(), b.Name()) {
		t.Fatal("pang over TLS")
	}
	if _, ok := a.mgr.up(b.Name()).nc.(*tls.Conn); !ok {
		t.Fatal("not a TLS connection")
	}
	// c's certificate is signed by another CA: both directions fail
	if err := c.PingErr(context.Background(), a.Name()); err == nil || !contains(err.Error(), "the node refused this node's certificate") {
		t.Fatalf("c connected, or was not told why not, with a certificate a does not trust: %v", err)
	}
	if err := a.PingErr(context.Background(), c.Name()); err == nil || !contains(err.Error(), "TLS handshake") {
		t.Fatalf("a connected to c: %v", err)
	}
	if hasNode(a.Nodes(), c.Name()) || hasNode(c.Nodes(), a.Name()) {
		t.Fatal("connected despite the wrong CA")
	}
}

// TestTLSMismatch: a node with TLS and one without cannot connect, and
// both directions say why.
func TestTLSMismatch(t *testing.T) {
	ca := newCA(t, "gerl test CA")
	ns := tcpNodes(t, 2, func(c *Config) {
		if c.Name == "a@localhost" {
			c.TLS = &TLSConfig{Certificate: ca.issue(t, 20), CA: ca.pool}
		}
	})
	a, b := ns[0], ns[1]
	if err := a.PingErr(context.Background(), b.Name()); err == nil || !contains(err.Error(), "does it run without TLS?") {
		t.Fatalf("TLS node to plain node: %v", err)
	}
	if err := b.PingErr(context.Background(), a.Name()); err == nil || !contains(err.Error(), "if it runs with TLS, this node must too") {
		t.Fatalf("plain node to TLS node: %v", err)
	}
}
