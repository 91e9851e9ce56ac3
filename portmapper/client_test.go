package portmapper

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

func TestClient(t *testing.T) {
	s, served := startServer(t, Config{Relaxed: true})
	addr := addrOf(s)
	ctx := ctxT(t)

	info := NodeInfo{Name: "alpha", Port: 40001, Type: NodeTypeNormal, Highest: 6, Lowest: 5, Extra: GerlExtra()}
	reg, err := Register(ctx, addr, info)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if reg.Creation() < 4 || !reflect.DeepEqual(reg.Info(), info) || reg.Err() != nil {
		t.Fatalf("registration: creation %d info %+v err %v", reg.Creation(), reg.Info(), reg.Err())
	}
	old, err := Register(ctx, addr, NodeInfo{Name: "beta", Port: 40002, Type: NodeTypeHidden, Highest: 5, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if c := old.Creation(); c < 1 || c > 3 {
		t.Fatalf("version 5 creation %d", c)
	}

	got, err := Lookup(ctx, addr, "alpha")
	if err != nil || !reflect.DeepEqual(got, info) || !got.IsGerl() {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	if _, err := Lookup(ctx, addr, "gamma"); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("Lookup of an unknown name: %v", err)
	}
	if _, err := Lookup(ctx, addr, ""); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("Lookup of an empty name: %v", err)
	}
	port, names, err := Names(ctx, addr)
	want := []NameEntry{{"beta", 40002}, {"alpha", 40001}}
	if err != nil || port != s.Port() || !reflect.DeepEqual(names, want) {
		t.Fatalf("Names = %d %v %v", port, names, err)
	}
	port, lines, err := Dump(ctx, addr)
	if err != nil || port != s.Port() || len(lines) != 2 || !strings.HasPrefix(lines[1], "active name     <alpha> at port 40001") {
		t.Fatalf("Dump = %d %q %v", port, lines, err)
	}

	_, err = Register(ctx, addr, NodeInfo{Name: "alpha", Port: 1, Highest: 6, Lowest: 5})
	if !errors.Is(err, ErrNameTaken) {
		t.Fatalf("duplicate Register: %v", err)
	}
	if _, err := Register(ctx, addr, NodeInfo{Name: "bad\x00name", Highest: 6}); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("Register with NUL: %v", err)
	}

	// STOP of a gerl node: its registration ends with ErrStopped.
	if ok, err := Stop(ctx, addr, "alpha"); !ok || err != nil {
		t.Fatalf("Stop = %v, %v", ok, err)
	}
	<-reg.Done()
	if !errors.Is(reg.Err(), ErrStopped) {
		t.Fatalf("stopped registration: Err = %v", reg.Err())
	}
	if ok, err := Stop(ctx, addr, "alpha"); ok || err != nil {
		t.Fatalf("second Stop = %v, %v", ok, err)
	}

	// Close unregisters.
	old.Close()
	if !errors.Is(old.Err(), ErrRegistrationClosed) {
		t.Fatalf("closed registration: Err = %v", old.Err())
	}
	testkit.Eventually(t, 5*time.Second, "beta to be unregistered", func() bool { return !isRegistered(t, addr, "beta") })

	if ok, err := Kill(ctx, addr); !ok || err != nil {
		t.Fatalf("Kill = %v, %v", ok, err)
	}
	if err := served.wait(t, 5*time.Second); !errors.Is(err, ErrKilled) {
		t.Fatalf("Serve after Kill: %v", err)
	}
	if _, _, err := Names(ctx, addr); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("Names with no daemon: %v", err)
	}
}

func TestClientRefusals(t *testing.T) {
	s, _ := startServer(t, Config{})
	addr := addrOf(s)
	ctx := ctxT(t)
	reg, err := Register(ctx, addr, NodeInfo{Name: "n", Port: 1, Highest: 6, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if ok, err := Kill(ctx, addr); ok || err != nil {
		t.Fatalf("Kill with a node registered = %v, %v", ok, err)
	}
	if _, err := Stop(ctx, addr, "n"); !errors.Is(err, ErrRefused) {
		t.Fatalf("Stop on a strict daemon: %v", err)
	}

	remote := NewServer(Config{})
	remote.isLocal = func(net.Addr, net.Addr) bool { return false }
	if err := remote.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { remote.Serve(); close(done) }()
	defer func() { remote.Close(); <-done }()
	raddr := addrOf(remote)
	if _, err := Register(ctx, raddr, NodeInfo{Name: "n", Highest: 6}); !errors.Is(err, ErrRefused) {
		t.Fatalf("Register from a remote peer: %v", err)
	}
	if _, err := Kill(ctx, raddr); !errors.Is(err, ErrRefused) {
		t.Fatalf("Kill from a remote peer: %v", err)
	}
	if _, _, err := Dump(ctx, raddr); !errors.Is(err, ErrRefused) {
		t.Fatalf("Dump from a remote peer: %v", err)
	}
}

// TestRegistrationEndsWithTheDaemon: when the daemon goes away, Done is
// closed and Err says why.
func TestRegistrationEndsWithTheDaemon(t *testing.T) {
	s := NewServer(Config{})
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Serve(); close(done) }()
	reg, err := Register(ctxT(t), addrOf(s), NodeInfo{Name: "n", Highest: 6, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	<-done
	select {
	case <-reg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("registration did not end with the daemon")
	}
	if err := reg.Err(); err == nil || errors.Is(err, ErrRegistrationClosed) || errors.Is(err, ErrStopped) {
		t.Fatalf("Err = %v", err)
	}
	reg.Close()
}

// fakeDaemon accepts connections and answers each with the given bytes
// (nil: never answers), to test the client against broken daemons.
func fakeDaemon(t *testing.T, answer []byte) string {
	t.Helper()
	addr, _ := fakeDaemonRead(t, answer)
	return addr
}

// fakeDaemonRead is fakeDaemon that also says, on read, each time it has
// read a request.
func fakeDaemonRead(t *testing.T, answer []byte) (addr string, read <-chan struct{}) {
	t.Helper()
	got := make(chan struct{}, 16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				readRequest(c)
				select {
				case got <- struct{}{}:
				default:
				}
				if answer == nil {
					select {
					case <-stop:
					case <-time.After(10 * time.Second):
					}
					return
				}
				c.Write(answer)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		close(stop)
		wg.Wait()
	})
	return ln.Addr().String(), got
}

func TestClientAgainstBrokenDaemons(t *testing.T) {
	// want is the error each broken answer must give (nil for the silent
	// daemon, which must give a deadline error instead).
	tests := []struct {
		name   string
		answer []byte
		want   error
		call   func(ctx context.Context, addr string) error
	}{
		{"lookup, garbage", []byte("HTTP/1.1 400 Bad Request\r\n"), ErrMalformed, func(ctx context.Context, a string) error {
			_, err := Lookup(ctx, a, "x")
			return err
		}},
		{"lookup, truncated", []byte{tagPort2Resp, 0, 1}, io.ErrUnexpectedEOF, func(ctx context.Context, a string) error {
			_, err := Lookup(ctx, a, "x")
			return err
		}},
		{"names, short", []byte{0, 0}, ErrMalformed, func(ctx context.Context, a string) error {
			_, _, err := Names(ctx, a)
			return err
		}},
		{"names, bad line", []byte("\x00\x00\x11\x11hello\n"), ErrMalformed, func(ctx context.Context, a string) error {
			_, _, err := Names(ctx, a)
			return err
		}},
		{"names, bad port", []byte("\x00\x00\x11\x11name x at port 99999\n"), ErrMalformed, func(ctx context.Context, a string) error {
			_, _, err := Names(ctx, a)
			return err
		}},
		{"register, garbage", []byte("nope"), ErrMalformed, func(ctx context.Context, a string) error {
			_, err := Register(ctx, a, NodeInfo{Name: "x", Highest: 6})
			return err
		}},
		{"kill, garbage", []byte("MAYBE"), ErrMalformed, func(ctx context.Context, a string) error {
			_, err := Kill(ctx, a)
			return err
		}},
		{"lookup, silent daemon", nil, nil, func(ctx context.Context, a string) error {
			_, err := Lookup(ctx, a, "x")
			return err
		}},
		{"register, silent daemon", nil, nil, func(ctx context.Context, a string) error {
			_, err := Register(ctx, a, NodeInfo{Name: "x", Highest: 6})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fakeDaemon(t, tt.answer)
			timeout := 5 * time.Second
			if tt.answer == nil {
				timeout = 300 * time.Millisecond // the silent daemon: the deadline is what is tested
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			start := time.Now()
			err := tt.call(ctx, addr)
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("%v, want %v", err, tt.want)
			}
			if tt.answer == nil && !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
				t.Fatalf("silent daemon: %v, want a deadline error", err)
			}
			if time.Since(start) > timeout+5*time.Second {
				t.Fatalf("took %v", time.Since(start))
			}
		})
	}
}

// TestStopUnderstandsEpmd: epmd answers STOP of an unknown name with
// "NOEXISTSTOPPED".
func TestStopUnderstandsEpmd(t *testing.T) {
	tests := []struct {
		answer string
		ok     bool
		err    error
	}{
		{"NOEXISTSTOPPED", false, nil},
		{"NOEXIST", false, nil},
		{"STOPPED", true, nil},
		{"", false, ErrRefused},
		{"STOPPEDX", false, ErrMalformed},
	}
	for _, tt := range tests {
		ok, err := Stop(ctxT(t), fakeDaemon(t, []byte(tt.answer)), "x")
		if ok != tt.ok || !errors.Is(err, tt.err) {
			t.Errorf("answer %q: Stop = %v, %v", tt.answer, ok, err)
		}
	}
}

func TestNamesParsesEpmdOutput(t *testing.T) {
	got, err := parseNames([]byte("name old at port 5555\nname with space at port 1\n"))
	want := []NameEntry{{"old", 5555}, {"with space", 1}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("parseNames = %v, %v", got, err)
	}
	if _, err := parseNames([]byte("name x at port 1")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unterminated line: %v", err)
	}
}

// TestClientCancel: cancelling the context aborts a call in progress.
func TestClientCancel(t *testing.T) {
	addr, read := fakeDaemonRead(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Lookup(ctx, addr, "x")
		errc <- err
	}()
	select { // cancel while the call waits for the answer
	case <-read:
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not reach the daemon")
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Lookup: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not abort Lookup")
	}
}
