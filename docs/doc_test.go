// Package docs holds gerl's documentation. Its test runs the examples in
// the markdown files against the real gerl binary, so the docs cannot
// drift from the code.
//
// A fenced block tagged gerl is a shell transcript: lines that start with
// a prompt ("12> ", or "(foo@vm)3> " for a named node) are inputs, lines
// that start with ".. " continue the input above, and every other line is
// output the input must print (stdout and stderr together). A block tagged
// "gerl NODE" runs on the node NODE of a multi-node document (see the
// tutorial test); all blocks of one node in one file run in one session,
// in order.
package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var gerlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gerl-docs-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gerlBin = filepath.Join(dir, "gerl")
	if out, err := exec.Command("go", "build", "-o", gerlBin, "../cmd/gerl").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build gerl: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// step is one input of a transcript and the output it must print.
type step struct {
	file   string
	line   int // where the input starts in the file
	node   string
	input  string
	expect string
}

var promptRE = regexp.MustCompile(`^(\([^)]*\))?(\d+)> (.*)$`)

// transcripts reads the gerl blocks of a markdown file.
func transcripts(t *testing.T, path string) []step {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	var in bool
	var node string
	var cur *step
	sc := bufio.NewScanner(bytes.NewReader(data))
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if !in {
				tag := strings.Fields(strings.TrimPrefix(trimmed, "```"))
				if len(tag) > 0 && tag[0] == "gerl" {
					in = true
					node = ""
					if len(tag) > 1 {
						node = tag[1]
					}
				}
				continue
			}
			in = false
			cur = nil
			continue
		}
		if !in {
			continue
		}
		if m := promptRE.FindStringSubmatch(line); m != nil {
			steps = append(steps, step{file: filepath.Base(path), line: lineNo, node: node, input: m[3]})
			cur = &steps[len(steps)-1]
			continue
		}
		if cur == nil {
			t.Fatalf("%s:%d: output before any input in a gerl block", path, lineNo)
		}
		if strings.HasPrefix(line, ".. ") && cur.expect == "" {
			cur.input += "\n" + strings.TrimPrefix(line, ".. ")
			continue
		}
		cur.expect += line + "\n"
	}
	return steps
}

// session is a gerl process fed one input at a time, whose output (stdout
// and stderr together) is read back after each input.
type session struct {
	cmd   *exec.Cmd
	stdin *os.File
	out   *os.File
	buf   bytes.Buffer
	n     int
}

func startSession(t *testing.T, env []string, args ...string) *session {
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
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, outW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	s := &session{cmd: cmd, stdin: inW, out: outR}
	t.Cleanup(func() {
		inW.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		outR.Close()
	})
	return s
}

// eval sends one input and returns what it printed. The end of its output
// is found by a marker input evaluated right after it.
func (s *session) eval(t *testing.T, input string) string {
	t.Helper()
	s.n++
	mark := fmt.Sprintf("__doc_mark_%d__", s.n)
	fmt.Fprintf(s.stdin, "%s\nif true { fmt.Println(%q) }\n", input, mark)
	deadline := time.Now().Add(30 * time.Second)
	chunk := make([]byte, 4096)
	for !strings.Contains(s.buf.String(), mark+"\n") {
		if time.Now().After(deadline) {
			t.Fatalf("no output marker after input %q; output so far:\n%s", input, s.buf.String())
		}
		s.out.SetReadDeadline(time.Now().Add(time.Second))
		n, err := s.out.Read(chunk)
		s.buf.Write(chunk[:n])
		if err != nil && !os.IsTimeout(err) {
			t.Fatalf("reading gerl's output after %q: %v\n%s", input, err, s.buf.String())
		}
	}
	all := s.buf.String()
	i := strings.Index(all, mark+"\n")
	out := all[:i]
	s.buf.Reset()
	s.buf.WriteString(all[i+len(mark)+1:])
	return out
}

// testEnviron gives a gerl run its own HOME and port mapper port.
func testEnviron(home string, pmPort int) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "GERL_PORTMAPPER_PORT=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, fmt.Sprintf("GERL_PORTMAPPER_PORT=%d", pmPort))
}

// runSingleNode runs every transcript of a document in one session on a
// node without distribution.
func runSingleNode(t *testing.T, path string) {
	steps := transcripts(t, path)
	if len(steps) == 0 {
		t.Fatalf("%s has no gerl examples", path)
	}
	s := startSession(t, testEnviron(t.TempDir(), 1))
	for _, st := range steps {
		got := s.eval(t, st.input)
		if got != st.expect {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", st.file, st.line, st.input, got, st.expect)
		}
	}
}

func TestTermsDoc(t *testing.T) { runSingleNode(t, "terms.md") }
