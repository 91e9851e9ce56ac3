package portmapper_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
)

// The client against daemons that break the protocol, and against one
// that never answers.

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
	addr = testkit.Serve(t, "127.0.0.1:0", func(c net.Conn, done <-chan struct{}) {
		portmapper.ReadRequest(c)
		select {
		case got <- struct{}{}:
		default:
		}
		if answer == nil {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
			return
		}
		c.Write(answer)
	})
	return addr, got
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
		{"lookup, garbage", []byte("HTTP/1.1 400 Bad Request\r\n"), portmapper.ErrMalformed, func(ctx context.Context, a string) error {
			_, err := portmapper.Lookup(ctx, a, "x")
			return err
		}},
		{"lookup, truncated", []byte{'w', 0, 1}, io.ErrUnexpectedEOF, func(ctx context.Context, a string) error { // 'w': PORT2_RESP, cut short
			_, err := portmapper.Lookup(ctx, a, "x")
			return err
		}},
		{"names, short", []byte{0, 0}, portmapper.ErrMalformed, func(ctx context.Context, a string) error {
			_, _, err := portmapper.Names(ctx, a)
			return err
		}},
		{"names, bad line", []byte("\x00\x00\x11\x11hello\n"), portmapper.ErrMalformed, func(ctx context.Context, a string) error {
			_, _, err := portmapper.Names(ctx, a)
			return err
		}},
		{"names, bad port", []byte("\x00\x00\x11\x11name x at port 99999\n"), portmapper.ErrMalformed, func(ctx context.Context, a string) error {
			_, _, err := portmapper.Names(ctx, a)
			return err
		}},
		{"register, garbage", []byte("nope"), portmapper.ErrMalformed, func(ctx context.Context, a string) error {
			_, err := portmapper.Register(ctx, a, portmapper.NodeInfo{Name: "x", Highest: 6})
			return err
		}},
		{"kill, garbage", []byte("MAYBE"), portmapper.ErrMalformed, func(ctx context.Context, a string) error {
			_, err := portmapper.Kill(ctx, a)
			return err
		}},
		{"lookup, silent daemon", nil, nil, func(ctx context.Context, a string) error {
			_, err := portmapper.Lookup(ctx, a, "x")
			return err
		}},
		{"register, silent daemon", nil, nil, func(ctx context.Context, a string) error {
			_, err := portmapper.Register(ctx, a, portmapper.NodeInfo{Name: "x", Highest: 6})
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
			if tt.answer == nil && !portmapper.IsTimeout(err) {
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
		{"", false, portmapper.ErrRefused},
		{"STOPPEDX", false, portmapper.ErrMalformed},
	}
	for _, tt := range tests {
		ok, err := portmapper.Stop(ctxT(t), fakeDaemon(t, []byte(tt.answer)), "x")
		if ok != tt.ok || !errors.Is(err, tt.err) {
			t.Errorf("answer %q: Stop = %v, %v", tt.answer, ok, err)
		}
	}
}

// TestClientCancel: cancelling the context aborts a call in progress.
func TestClientCancel(t *testing.T) {
	addr, read := fakeDaemonRead(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := portmapper.Lookup(ctx, addr, "x")
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
