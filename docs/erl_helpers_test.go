package docs

// The Erlang nodes of a multi-node document: a real erl shell, started by
//
//	<!-- test: erl NODE ARGS... -->   start erl ARGS (the command the text
//	                                  shows) and wait for its first prompt
//
// and fed the inputs of the document's "erl NODE" blocks one line at a
// time, on its standard input; what erl prints up to its next prompt is the
// input's output. In ARGS, "$(cat ~/FILE)" is the content of that file in
// the document's HOME (the reader's shell would expand it), and "@vm" this
// machine's short host name. erl registers with the document's port mapper
// (ERL_EPMD_PORT). Without erl the document stops there: the test skips,
// having run everything before (under GERL_REQUIRE_ALL it fails).

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// erlShell is an erl shell in piped mode (erl's "oldshell": it prints a
// prompt, reads a line, evaluates it, prints the value).
type erlShell struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  *os.File
	out    *os.File
	buf    bytes.Buffer
	prompt *regexp.Regexp // "(baz@vm)N> " for this node's host
	exit   chan struct{}
}

// catRE is the shell's "$(cat ~/FILE)" in a directive's arguments.
var catRE = regexp.MustCompile(`^\$\(cat ~/([^()\s]+)\)$`)

// startErl starts erl for the directive "erl NODE ARGS..." and waits for
// its first prompt.
func (c *cluster) startErl(at, name string, args []string) *erlShell {
	t := c.t
	erl := testkit.NeedTool(t, "erl", "erlang-nox")
	var eargs []string
	for i := 0; i < len(args); i++ {
		a := c.sub(args[i])
		// "$(cat ~/.gerl.cookie)" is split in two words by the directive.
		if a == "$(cat" && i+1 < len(args) {
			a, i = a+" "+args[i+1], i+1
		}
		if m := catRE.FindStringSubmatch(a); m != nil {
			b, err := os.ReadFile(filepath.Join(c.home, m[1]))
			if err != nil {
				t.Fatalf("%s: %v", at, err)
			}
			a = strings.TrimSpace(string(b))
		}
		eargs = append(eargs, a)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(erl, eargs...)
	cmd.Env = append(append([]string{}, c.env...), "ERL_EPMD_PORT="+strconv.Itoa(c.pmPort))
	cmd.Dir = c.dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, outW
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", at, err)
	}
	inR.Close()
	outW.Close()
	e := &erlShell{
		t: t, cmd: cmd, stdin: inW, out: outR, exit: make(chan struct{}),
		prompt: regexp.MustCompile(`\(` + regexp.QuoteMeta(name+"@"+c.host) + `\)\d+> `),
	}
	go func() { _ = cmd.Wait(); close(e.exit) }()
	t.Cleanup(func() {
		// The end of its input stops erl's shell, and the node with it.
		inW.Close()
		select {
		case <-e.exit:
		case <-time.After(10 * time.Second):
			t.Errorf("erl %s did not stop at the end of its input", strings.Join(eargs, " "))
			_ = cmd.Process.Kill()
			<-e.exit
		}
		outR.Close()
	})
	e.readPrompt("the start of erl " + strings.Join(args, " "))
	return e
}

// Eval types one line and returns what erl printed before its next
// prompt.
func (e *erlShell) Eval(input string) string {
	e.t.Helper()
	if _, err := fmt.Fprintf(e.stdin, "%s\n", input); err != nil {
		e.t.Fatalf("write input %q to erl: %v", input, err)
	}
	return e.readPrompt(input)
}

// readPrompt returns what erl printed before its next prompt, and drops
// the prompt; it fails the test after 30 s without one.
func (e *erlShell) readPrompt(what string) string {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	chunk := make([]byte, 4096)
	for {
		if loc := e.prompt.FindIndex(e.buf.Bytes()); loc != nil {
			all := e.buf.String()
			e.buf.Reset()
			e.buf.WriteString(all[loc[1]:])
			return all[:loc[0]]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("erl printed no prompt after %q within 30s; output:\n%s", what, e.buf.String())
		}
		_ = e.out.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := e.out.Read(chunk)
		e.buf.Write(chunk[:n])
		if err != nil && !os.IsTimeout(err) {
			e.t.Fatalf("reading erl's output after %q: %v\n%s", what, err, e.buf.String())
		}
	}
}
