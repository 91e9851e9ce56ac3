package detach

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestStart(t *testing.T) {
	dir := t.TempDir()
	log, err := OpenLog(filepath.Join(dir, "state", "child.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	if st, _ := log.Stat(); st.Mode().Perm() != 0o600 {
		t.Fatalf("log mode %v, want 0600", st.Mode().Perm())
	}
	start := func(script string, timeout time.Duration) (int, string, error) {
		return Start(Config{Executable: "/bin/sh", Args: []string{"-c", script}, Env: "TEST_DETACH_FD", Log: log, Timeout: timeout})
	}

	// A child that reports, then runs on in its own session.
	pid, report, err := start(`echo to the log; echo "ready $$" >&3; sleep 30`, 10*time.Second)
	if err != nil || report != "ready "+itoa(pid) {
		t.Fatalf("Start = %d, %q, %v", pid, report, err)
	}
	if sid, err := unix.Getsid(pid); err != nil || sid != pid {
		t.Errorf("the child's session is %d (%v), want its own (%d)", sid, err, pid)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)

	// A child that exits without a word.
	if _, _, err := start(`exit 3`, 10*time.Second); !errors.Is(err, ErrNoReport) || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("a silent child: %v", err)
	}
	// A child that never reports is killed at the timeout.
	t0 := time.Now()
	if _, _, err := start(`sleep 30`, 200*time.Millisecond); !errors.Is(err, ErrNoReport) || time.Since(t0) > 10*time.Second {
		t.Fatalf("a child that never reports: %v after %v", err, time.Since(t0))
	}
	b, _ := os.ReadFile(log.Name())
	if !strings.Contains(string(b), "to the log") {
		t.Fatalf("the child's output did not reach the log: %q", b)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
