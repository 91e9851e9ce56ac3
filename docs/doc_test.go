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
// in order. A block tagged "erl NODE" is typed into a real erl shell, the
// Erlang node NODE of a multi-node document (erl_helpers_test.go).
package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
)

var gerlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gerl-docs-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gerlBin = filepath.Join(dir, "gerl")
	if err := testkit.BuildGerl("../cmd/gerl", gerlBin); err != nil {
		fmt.Fprintf(os.Stderr, "build gerl: %v\n", err)
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
	erl    bool // typed into an erl shell, not gerl
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
	var erl bool
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
				if len(tag) > 0 && (tag[0] == "gerl" || tag[0] == "erl" && len(tag) > 1) {
					in = true
					node, erl = "", tag[0] == "erl"
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
			steps = append(steps, step{file: filepath.Base(path), line: lineNo, node: node, erl: erl, input: m[3]})
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

// runSingleNode runs every transcript of a document in one session on a
// node without distribution, started with args.
func runSingleNode(t *testing.T, path string, args ...string) {
	steps := transcripts(t, path)
	if len(steps) == 0 {
		t.Fatalf("%s has no gerl examples", path)
	}
	s := testkit.StartGerl(t, gerlBin, testkit.Environ(t.TempDir(), 1), "", args...)
	for _, st := range steps {
		got := s.Eval(st.input)
		if got != st.expect {
			t.Errorf("%s:%d: %s\ngot:\n%s\nwant:\n%s", st.file, st.line, st.input, got, st.expect)
		}
	}
}

func TestTermsDoc(t *testing.T) { runSingleNode(t, "terms.md") }
