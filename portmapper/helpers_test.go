package portmapper_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/portmapper"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

// startServer starts a daemon in this process on a free loopback port and
// closes it when the test ends.
func startServer(t *testing.T, cfg daemon.Config) *daemon.Server {
	t.Helper()
	s, err := daemon.Start(cfg)
	if err != nil {
		t.Fatalf("start the port mapper: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stopped waits for s to stop and returns why.
func stopped(t *testing.T, s *daemon.Server) error {
	t.Helper()
	select {
	case <-s.Done():
		return s.Err()
	case <-time.After(5 * time.Second):
		t.Fatal("the port mapper did not stop within 5 s")
		return nil
	}
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
