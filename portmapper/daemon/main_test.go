package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/portmapper"
	"go.uber.org/goleak"
)

// Answer tags as they appear on the wire, for the tests that read raw
// answers.
const (
	tagAlive2Resp  = 121 // 'y': ALIVE2_RESP, 16-bit creation
	tagAlive2XResp = 118 // 'v': ALIVE2_X_RESP, 32-bit creation
	tagPort2Resp   = 119 // 'w': PORT2_RESP
)

// erlangRequests are requests as Erlang/OTP 25 sends them (erl -sname
// capx, epmd -names, epmd -kill, epmd -stop foo), length prefix included:
// portmapper's TestAppendFrameMatchesErlang checks that AppendFrame gives
// the bytes captured from Erlang.
var erlangRequests = map[string][]byte{
	"alive2 capx": portmapper.Request{Op: portmapper.OpAlive2, Node: portmapper.NodeInfo{
		Name: "capx", Port: 0x90d1, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5}}.AppendFrame(nil),
	"names":    portmapper.Request{Op: portmapper.OpNames}.AppendFrame(nil),
	"kill":     portmapper.Request{Op: portmapper.OpKill}.AppendFrame(nil),
	"stop foo": portmapper.Request{Op: portmapper.OpStop, Name: "foo"}.AppendFrame(nil),
}

// binDir holds the gerl binary built by gerlBinary; TestMain removes it.
var binDir struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir.dir != "" {
		os.RemoveAll(binDir.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// gerlBinary builds cmd/gerl once per test run (go build into a temporary
// directory) and returns its path.
func gerlBinary(t *testing.T) string {
	t.Helper()
	binDir.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			binDir.err = fmt.Errorf("go tool not found: %w", err)
			return
		}
		binDir.dir, binDir.err = os.MkdirTemp("", "gerl-portmapper-test-")
		if binDir.err != nil {
			return
		}
		binDir.path = filepath.Join(binDir.dir, "gerl")
		cmd := exec.Command(goTool, "build", "-o", binDir.path, "github.com/gerl-dev/gerl/cmd/gerl")
		if out, err := cmd.CombinedOutput(); err != nil {
			binDir.err = fmt.Errorf("go build cmd/gerl: %v\n%s", err, out)
		}
	})
	if binDir.err != nil {
		t.Fatal(binDir.err)
	}
	return binDir.path
}

// startServer starts a daemon in this process on a free loopback port and
// closes it when the test ends.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stopped waits for s to stop and returns why.
func stopped(t *testing.T, s *Server) error {
	t.Helper()
	select {
	case <-s.Done():
		return s.Err()
	case <-time.After(5 * time.Second):
		t.Fatal("the daemon did not stop within 5 s")
		return nil
	}
}

func addrOf(s *Server) string { return s.Addr().String() }

// rawResult is what a raw client saw: the bytes before the daemon closed
// the connection, and whether it closed it (false: still open at timeout).
type rawResult struct {
	answer []byte
	closed bool
}

// rawExchange writes data (nil: nothing) and reads until the daemon closes
// the connection or timeout passes.
func rawExchange(t *testing.T, addr string, data []byte, timeout time.Duration) rawResult {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	if len(data) > 0 {
		if _, err := c.Write(data); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	c.SetReadDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return rawResult{answer: b, closed: false}
	}
	return rawResult{answer: b, closed: true}
}

// frame prefixes body with its 2-byte length.
func frame(body []byte) []byte {
	return append([]byte{byte(len(body) >> 8), byte(len(body))}, body...)
}

// alive2Body builds an ALIVE2 request body.
func alive2Body(name string, port int, highest, lowest uint16, extra []byte) []byte {
	r := portmapper.Request{Op: portmapper.OpAlive2, Node: portmapper.NodeInfo{Name: name, Port: port, Type: portmapper.NodeTypeNormal,
		Highest: highest, Lowest: lowest, Extra: extra}}
	return r.AppendFrame(nil)[2:]
}

// rawRegister registers with raw bytes and returns the open connection and
// the answer. The connection is closed at cleanup.
func rawRegister(t *testing.T, addr string, body []byte) (net.Conn, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write(frame(body)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	head := make([]byte, 2)
	if _, err := io.ReadFull(c, head); err != nil {
		t.Fatalf("reading ALIVE2 answer: %v", err)
	}
	n := 4
	if head[0] == tagAlive2Resp {
		n = 2
	}
	rest := make([]byte, n)
	if _, err := io.ReadFull(c, rest); err != nil {
		t.Fatalf("reading ALIVE2 answer: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	return c, append(head, rest...)
}

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

func itoa(n int) string { return strconv.Itoa(n) }

// debugLogger logs everything, debug included, to w.
func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
