package shell

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// nodeProc is a gerl process fed inputs on its stdin one at a time (piped
// mode), whose combined output is read back after each input.
type nodeProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin *os.File
	out   *os.File
	buf   bytes.Buffer
	n     int
	exit  chan error
}

func (e *testEnv) startNode(t *testing.T, args ...string) *nodeProc {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gerlBin, args...)
	cmd.Env = e.environ()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, outW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	np := &nodeProc{t: t, cmd: cmd, stdin: inW, out: outR, exit: make(chan error, 1)}
	go func() { np.exit <- cmd.Wait() }()
	t.Cleanup(func() {
		inW.Close()
		select {
		case <-np.exit:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-np.exit
		}
		outR.Close()
	})
	return np
}

// eval sends one input and returns what it printed until a marker input
// evaluated right after it.
func (np *nodeProc) eval(input string) string {
	np.t.Helper()
	np.n++
	mark := fmt.Sprintf("__mark_%d__", np.n)
	if _, err := fmt.Fprintf(np.stdin, "%s\nif true { fmt.Println(%q) }\n", input, mark); err != nil {
		np.t.Fatalf("write input %q: %v", input, err)
	}
	return np.readUntil(mark+"\n", input)
}

func (np *nodeProc) readUntil(mark, what string) string {
	np.t.Helper()
	deadline := time.Now().Add(waitTime)
	chunk := make([]byte, 4096)
	for !strings.Contains(np.buf.String(), mark) {
		if time.Now().After(deadline) {
			np.t.Fatalf("no output after %q within %v; output so far:\n%s", what, waitTime, np.buf.String())
		}
		np.out.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := np.out.Read(chunk)
		np.buf.Write(chunk[:n])
		if err != nil && !os.IsTimeout(err) {
			np.t.Fatalf("read output after %q: %v\n%s", what, err, np.buf.String())
		}
	}
	all := np.buf.String()
	i := strings.Index(all, mark)
	np.buf.Reset()
	np.buf.WriteString(all[i+len(mark):])
	return all[:i]
}

// expect evaluates input and fails unless its output contains want.
func (np *nodeProc) expect(input, want string) string {
	np.t.Helper()
	got := np.eval(input)
	if !strings.Contains(got, want) {
		np.t.Fatalf("%s printed %q, want it to contain %q", input, got, want)
	}
	return got
}

// kill sends SIGKILL and waits for the process to end.
func (np *nodeProc) kill() {
	np.t.Helper()
	np.cmd.Process.Kill()
	select {
	case err := <-np.exit:
		np.exit <- err // for Cleanup
	case <-time.After(waitTime):
		np.t.Fatal("killed node did not exit")
	}
}

// waitExit waits for the process to end and returns its status.
func (np *nodeProc) waitExit() int {
	np.t.Helper()
	select {
	case err := <-np.exit:
		np.exit <- err // for Cleanup
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return 0
	case <-time.After(waitTime):
		np.t.Fatalf("node did not exit; output:\n%s", np.buf.String())
	}
	return -1
}
