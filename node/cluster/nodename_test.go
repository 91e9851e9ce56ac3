package cluster

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNodeName(t *testing.T) {
	host := func(h string) func() (string, error) { return func() (string, error) { return h, nil } }
	noFQDN := func(string) (string, error) { return "", errors.New("no") }
	fqdn := func(h string) (string, error) { return h + ".example.com", nil }
	for _, tc := range []struct {
		sname, name, hostname string
		fqdn                  func(string) (string, error)
		want, err             string
	}{
		{sname: "foo", hostname: "vm", want: "foo@vm"},
		{sname: "foo", hostname: "vm.corp.example", want: "foo@vm"},
		{sname: "foo@other", hostname: "vm", want: "foo@other"},
		{sname: "foo@a.b", hostname: "vm", err: "-sname takes a short host name"},
		{name: "foo@host.example", hostname: "vm", want: "foo@host.example"},
		{name: "foo", hostname: "vm.corp.example", want: "foo@vm.corp.example"},
		{name: "foo", hostname: "vm", fqdn: fqdn, want: "foo@vm.example.com"},
		{name: "foo", hostname: "vm", fqdn: noFQDN, err: "has no fully qualified name; use -name foo@host.example.com"},
		{sname: "a", name: "b", hostname: "vm", err: "not both"},
		{hostname: "vm", err: "give -sname"},
		{sname: "a b", hostname: "vm", err: "contains"},
		{name: "@host", hostname: "vm", err: "want name@host"},
		{sname: "a%b", hostname: "vm", err: "made of letters, digits, _ and -"},
		{sname: "ñode", hostname: "vm", err: "made of letters, digits, _ and -"},
		{sname: "a.b@vm", hostname: "vm", err: "made of letters, digits, _ and -"},
		{name: "a+b@host.example", hostname: "vm", err: "made of letters, digits, _ and -"},
		{sname: "Web_1-a", hostname: "vm", want: "Web_1-a@vm"},
	} {
		f := tc.fqdn
		if f == nil {
			f = noFQDN
		}
		got, err := nodeName(tc.sname, tc.name, host(tc.hostname), f)
		switch {
		case tc.err != "" && (err == nil || !contains(err.Error(), tc.err) || !errors.Is(err, ErrBadNodeName)):
			t.Errorf("%q/%q: got %v, %v; want error %q", tc.sname, tc.name, got, err, tc.err)
		case tc.err == "" && (err != nil || string(got) != tc.want):
			t.Errorf("%q/%q: got %v, %v; want %s", tc.sname, tc.name, got, err, tc.want)
		}
	}
}

func TestLoadCookie(t *testing.T) {
	if c, err := LoadCookie("flag", ""); err != nil || c != "flag" {
		t.Fatalf("flag: %v %v", c, err)
	}
	home := t.TempDir()
	c1, err := LoadCookie("", home)
	if err != nil || len(c1) != 20 {
		t.Fatalf("create: %q %v", c1, err)
	}
	st, err := os.Stat(filepath.Join(home, CookieFile))
	if err != nil || st.Mode().Perm() != 0o400 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	if c2, err := LoadCookie("", home); err != nil || c2 != c1 {
		t.Fatalf("reload: %q %v", c2, err)
	}
	os.Chmod(filepath.Join(home, CookieFile), 0o644)
	if _, err := LoadCookie("", home); !errors.Is(err, ErrCookie) || !contains(err.Error(), "chmod 400") {
		t.Fatalf("unsafe file: %v", err)
	}
	if _, err := LoadCookie("", ""); !errors.Is(err, ErrCookie) {
		t.Fatalf("no home: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "gone")
	want := "cookie: cannot create " + filepath.Join(missing, CookieFile) + ": no such file or directory (give one with -setcookie)"
	if _, err := LoadCookie("", missing); !errors.Is(err, ErrCookie) || err.Error() != want {
		t.Fatalf("a home that does not exist: %v; want %q", err, want)
	}
	if strings.Trim(c1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		t.Fatalf("cookie %q is not uppercase letters", c1)
	}
}

// TestCookieCreatedOnceByConcurrentStarts: nodes starting at the same
// instant in a new home all read the one cookie that was created.
func TestCookieCreatedOnceByConcurrentStarts(t *testing.T) {
	for round := 0; round < 20; round++ {
		home := t.TempDir()
		const n = 8
		got := make(chan string, n)
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				c, err := LoadCookie("", home)
				got <- c
				errs <- err
			}()
		}
		first := <-got
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		for i := 1; i < n; i++ {
			if c, err := <-got, <-errs; err != nil || c != first {
				t.Fatalf("round %d: %q, %v; another start got %q", round, c, err, first)
			}
		}
		entries, _ := os.ReadDir(home)
		if len(entries) != 1 {
			t.Fatalf("round %d: %d files left in home, want the cookie only", round, len(entries))
		}
	}
}

func TestPortMapperHostIsLoopbackForThisMachine(t *testing.T) {
	ctx := context.Background()
	if got := portMapperHost(ctx, "localhost"); got != "127.0.0.1" {
		t.Errorf("localhost -> %s", got)
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			if got := portMapperHost(ctx, n.IP.String()); got != "127.0.0.1" {
				t.Errorf("own address %s -> %s", n.IP, got)
			}
		}
	}
	if got := portMapperHost(ctx, "192.0.2.1"); got != "192.0.2.1" { // TEST-NET-1: not ours
		t.Errorf("a remote address -> %s", got)
	}
}
