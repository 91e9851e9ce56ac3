package portmapper_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/portmapper"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

// serveResult is the outcome of Serve, readable any number of times.
type serveResult struct {
	done chan struct{}
	err  error
}

// wait returns Serve's error, or fails the test if Serve has not returned
// within timeout.
func (r *serveResult) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(timeout):
		t.Fatalf("Serve did not return within %v", timeout)
		return nil
	}
}

// startServer starts a daemon in this process on a free loopback port and
// closes it when the test ends.
func startServer(t *testing.T, cfg daemon.Config) (*daemon.Server, *serveResult) {
	t.Helper()
	s := daemon.NewServer(cfg)
	if err := s.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	res := &serveResult{done: make(chan struct{})}
	go func() {
		res.err = s.Serve()
		close(res.done)
	}()
	t.Cleanup(func() {
		s.Close()
		<-res.done
	})
	return s, res
}

func addrOf(s *daemon.Server) string { return s.Addr().String() }

// isRegistered asks the daemon at addr whether name is registered.
func isRegistered(t *testing.T, addr, name string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := portmapper.Lookup(ctx, addr, name)
	if err != nil && !errors.Is(err, portmapper.ErrNotRegistered) {
		t.Fatalf("lookup %s: %v", name, err)
	}
	return err == nil
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// debugLogger logs everything, debug included, to w.
func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
