package etf

import (
	"bufio"
	"context"
	"encoding/hex"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// erlAgent is a real Erlang node (without distribution) running
// testdata/etfcheck.erl: a request per line in, an answer per line out.
type erlAgent struct {
	t     *testing.T
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startErl starts the agent for one test and stops it at the test's end.
func startErl(t *testing.T) *erlAgent {
	t.Helper()
	erl := testkit.NeedTool(t, "erl", "erlang-nox")
	src, err := filepath.Abs("testdata/etfcheck.erl")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	boot := `{ok, M, B} = compile:file("` + src + `", [binary, report]), {module, M} = code:load_binary(M, "etfcheck.erl", B), M:main().`
	cmd := exec.CommandContext(ctx, erl, "+S", "1", "-noshell", "-eval", boot)
	cmd.Env = append(cmd.Environ(), "HOME="+t.TempDir())
	var stderr testkit.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		_ = cmd.Wait()
		if t.Failed() && stderr.String() != "" {
			t.Logf("erl's stderr:\n%s", stderr.String())
		}
	})
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	return &erlAgent{t: t, stdin: stdin, out: sc}
}

// call sends the requests and returns one answer per request, in order
// (gen answers with one line per term: count them in want).
func (a *erlAgent) call(want int, requests ...string) []string {
	a.t.Helper()
	go func() {
		w := bufio.NewWriter(a.stdin)
		for _, r := range requests {
			w.WriteString(r)
			w.WriteByte('\n')
		}
		w.Flush()
	}()
	answers := make([]string, 0, want)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(answers) < want && a.out.Scan() {
			answers = append(answers, a.out.Text())
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		a.t.Fatalf("erl answered %d of %d requests in 60 s", len(answers), want)
	}
	if len(answers) < want {
		a.t.Fatalf("erl stopped after %d of %d answers: %v", len(answers), want, a.out.Err())
	}
	return answers
}

func hexOf(b []byte) string      { return strings.ToUpper(hex.EncodeToString(b)) }
func hexText(s string) string    { return hexOf([]byte(s)) }
func evalReq(expr string) string { return "eval " + hexText(expr) }

// okBytes returns the bytes of an "ok Hex" answer.
func okBytes(t *testing.T, answer, what string) []byte {
	t.Helper()
	rest, ok := strings.CutPrefix(answer, "ok ")
	if !ok {
		t.Fatalf("%s: erl answered %q", what, answer)
	}
	b, err := hex.DecodeString(rest)
	if err != nil {
		t.Fatalf("%s: bad hex from erl: %v", what, err)
	}
	return b
}
