package docs

// The Erlang nodes of a multi-node document: a real erl shell, started by
//
//	<!-- test: erl NODE ARGS... -->   start erl ARGS (the command the text
//	                                  shows) and wait for its first prompt
//
// and fed the inputs of the document's "erl NODE" blocks one line at a
// time, on its standard input (erl's "oldshell", which a piped erl runs);
// what erl prints up to its next prompt is the input's output. In ARGS,
// "$(cat ~/FILE)" is the content of that file in the document's HOME (the
// reader's shell would expand it), and "@vm" this machine's short host
// name. erl registers with the document's port mapper (ERL_EPMD_PORT), and
// stops at the end of its input when the test ends. Without erl the
// document stops there: the test skips, having run everything before
// (under GERL_REQUIRE_ALL it fails).

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// erlShell is an erl shell in piped mode.
type erlShell struct {
	s      *testkit.Gerl
	prompt string // "(baz@host)", before the number
	n      int    // the number of the prompt erl printed last
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
	env := append(append([]string{}, c.env...), "ERL_EPMD_PORT="+strconv.Itoa(c.pmPort))
	e := &erlShell{s: testkit.StartGerl(t, erl, env, c.dir, eargs...), prompt: "(" + name + "@" + c.host + ")"}
	e.read("the start of erl " + strings.Join(args, " "))
	return e
}

// Eval types one line and returns what erl printed before its next
// prompt.
func (e *erlShell) Eval(input string) string {
	e.s.Send(input)
	return e.read(input)
}

// read returns what erl printed before its next prompt, and drops the
// prompt.
func (e *erlShell) read(what string) string {
	e.n++
	return e.s.ReadUntil(fmt.Sprintf("%s%d> ", e.prompt, e.n), what, 30*time.Second)
}
