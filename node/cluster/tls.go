package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSConfig runs distribution over mutual TLS: each node presents a
// certificate signed by the CA and accepts only peers whose certificate the
// CA signed. The cookie handshake still runs inside the TLS connection.
// Give either the PEM files or the parsed values.
type TLSConfig struct {
	CertFile, KeyFile, CAFile string

	Certificate *tls.Certificate // instead of CertFile and KeyFile
	CA          *x509.CertPool   // instead of CAFile
	// ServerName, if set, is the name every peer's certificate must carry;
	// by default the host part of the node name being dialed.
	ServerName string
}

func (t *TLSConfig) load() (tls.Certificate, *x509.CertPool, error) {
	var cert tls.Certificate
	if t.Certificate != nil {
		cert = *t.Certificate
	} else {
		c, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return cert, nil, fmt.Errorf("TLS certificate: %w", err)
		}
		cert = c
	}
	pool := t.CA
	if pool == nil {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return cert, nil, fmt.Errorf("TLS CA: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return cert, nil, fmt.Errorf("TLS CA: no certificate in %s", t.CAFile)
		}
	}
	return cert, pool, nil
}

func (t *TLSConfig) serverConfig() (*tls.Config, error) {
	cert, pool, err := t.load()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}, nil
}

func (t *TLSConfig) clientConfig(host string) (*tls.Config, error) {
	cert, pool, err := t.load()
	if err != nil {
		return nil, err
	}
	name := t.ServerName
	if name == "" {
		name = host
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   name,
		MinVersion:   tls.VersionTLS13,
	}, nil
}
