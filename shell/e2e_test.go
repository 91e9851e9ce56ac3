package shell

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Piped input: no prompt, no escape codes, results on stdout, errors on
// stderr, non-zero status if any input failed.
func TestPipedInput(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name       string
		input      string
		args       []string
		wantOut    string
		wantErrHas []string
		wantCode   int
	}{
		{
			name:    "values",
			input:   "1 + 2\n\"hi\"\nx := T(A(\"ping\"), 1)\nx\n",
			wantOut: "3\n\"hi\"\n{ping,1}\n{ping,1}\n", // x := ... prints what it binds
		},
		{
			name: "multi-line input and a loop",
			input: "for i := 0; i < 3; i++ {\n" +
				"\tfmt.Println(i)\n" +
				"}\n",
			wantOut: "0\n1\n2\n",
		},
		{
			name:    "send and flush",
			input:   "self() ! A(\"hello\")\nflush()\n",
			wantOut: "hello\nShell got hello\nok\n",
		},
		{
			name:       "errors go to stderr and set the status",
			input:      "undefinedThing\n1 + 1\npanic(\"boom\")\n",
			wantOut:    "2\n",
			wantErrHas: []string{"* 1:1: undefined: undefinedThing", "** exception error: boom"},
			wantCode:   1,
		},
		{
			name:    "ten processes spawned in a loop report ten values",
			input:   "me := self()\nfor i := 0; i < 10; i++ { spawn(func() { me ! i }) }\nseen := map[int]bool{}\nfor k := 0; k < 10; k++ { seen[receive(5000).(int)] = true }\nlen(seen)\n",
			wantOut: "<nonode@nohost.3.0>\n#{}\n10\n",
		},
		{
			name:    "-eval runs first",
			args:    []string{"-eval", `fmt.Println("from eval")`},
			input:   "2 * 21\n",
			wantOut: "from eval\n42\n",
		},
		{
			name:    "q() stops reading",
			input:   "1\nq()\n2\n",
			wantOut: "1\nok\n",
		},
		{
			name:       "an unfinished input at the end is an error",
			input:      "func f() {\n",
			wantErrHas: []string{"* 2:1: expected '}', found 'EOF'"},
			wantCode:   1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errText, code := e.runPiped(t, tc.input, tc.args...)
			if out != tc.wantOut {
				t.Errorf("stdout = %q, want %q (stderr %q)", out, tc.wantOut, errText)
			}
			for _, w := range tc.wantErrHas {
				if !strings.Contains(errText, w) {
					t.Errorf("stderr %q lacks %q", errText, w)
				}
			}
			if code != tc.wantCode {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tc.wantCode, errText)
			}
			if strings.Contains(out+errText, "\x1b[") {
				t.Errorf("escape codes in piped output: %q %q", out, errText)
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	e := newTestEnv(t)
	out, errText, code := e.runPiped(t, "", "-h")
	if code != 0 || !strings.Contains(errText, "-sname") {
		t.Errorf("-h: code %d, stdout %q, stderr %q", code, out, errText)
	}
	_, errText, code = e.runPiped(t, "", "-bogus")
	if code != 2 || !strings.Contains(errText, "flag provided but not defined: -bogus") || !strings.Contains(errText, "Usage") {
		t.Errorf("unknown flag: code %d, stderr %q", code, errText)
	}
	_, errText, code = e.runPiped(t, "", "-sname", "a", "-name", "b")
	if code != 2 || !strings.Contains(errText, "not both") {
		t.Errorf("-sname and -name: code %d, stderr %q", code, errText)
	}
	_, errText, code = e.runPiped(t, "", "-sname", "a%b")
	if code != 1 || !strings.Contains(errText, "made of letters, digits, _ and -") {
		t.Errorf("-sname a%%b: code %d, stderr %q", code, errText)
	}
	_, errText, code = e.runPiped(t, "", "-sname", "a", "-tls_cert", "c.pem", "-tls_key", "k.pem")
	if code != 2 || !strings.Contains(errText, "-tls_ca") {
		t.Errorf("TLS without a CA: code %d, stderr %q", code, errText)
	}
	for _, bg := range []string{"-noshell", "-detached"} {
		_, errText, code = e.runPiped(t, "", "-remsh", "b@127.0.0.1", bg)
		if code != 2 || !strings.Contains(errText, "cannot be combined") {
			t.Errorf("-remsh with %s: code %d, stderr %q", bg, code, errText)
		}
	}
	out, _, code = e.runPiped(t, "", "-version")
	if code != 0 || !strings.HasPrefix(out, "gerl ") {
		t.Errorf("-version: %d %q", code, out)
	}
}

// TestTerminal drives the interactive shell in a real terminal: the
// prompt, results, multi-line input, ! and flush(), a panic, Ctrl-C on a
// blocked receive, Tab completion, and Ctrl-D.
func TestTerminal(t *testing.T) {
	e := newTestEnv(t)
	tm := e.startTmux(t)
	tm.waitFor("Type help() for help")
	tm.waitFor("1> ")

	tm.line("1 + 2")
	tm.waitFor("3\n2> ")

	tm.line("for i := 0; i < 2; i++ {")
	tm.waitFor("{\n..") // continuation prompt
	tm.line(`fmt.Println("line", i)`)
	tm.line("}")
	tm.waitFor("line 1\n3> ")

	tm.line(`self() ! T(A("hello"), 42)`)
	tm.waitFor("{hello,42}\n4> ")
	tm.line("flush()")
	tm.waitFor("Shell got {hello,42}\nok\n5> ")

	tm.line(`panic("boom")`)
	tm.waitFor("** exception error: boom")
	tm.waitFor("6> ")

	tm.line(`fmt.Println("receiving"); receive()`) // see TestCtrlCDuringSlowConnect
	tm.waitFor("\nreceiving\n")
	tm.send("C-c")
	tm.waitFor("** interrupted")
	tm.waitFor("7> ")

	tm.send("spawn_m", "Tab")
	tm.waitFor("spawn_monitor")
	tm.send("C-c") // drop the partial line: it does not quit
	tm.waitFor("7> ")

	tm.send("strings.ToUp", "Tab")
	tm.waitFor("strings.ToUpper")
	tm.line(`("abc")`)
	tm.waitFor(`"ABC"`)

	tm.send("C-d")
	if code := tm.waitExit(); code != 0 {
		t.Fatalf("exit status after Ctrl-D: %d", code)
	}
}

// TestHistoryAcrossRuns: inputs of one run, multi-line ones as one entry,
// are recalled with the up arrow in the next.
func TestHistoryAcrossRuns(t *testing.T) {
	e := newTestEnv(t)
	tm := e.startTmux(t)
	tm.waitFor("1> ")
	tm.line("x := 40")
	tm.waitFor("2> ")
	tm.line("func add(a int) int {")
	tm.line("return a + 2")
	tm.line("}")
	tm.waitFor("3> ")
	tm.line("q()")
	if code := tm.waitExit(); code != 0 {
		t.Fatalf("q(): exit status %d", code)
	}
	hist, err := os.ReadFile(filepath.Join(e.home, ".gerl_history"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hist), "func add(a int) int { return a + 2; }") {
		t.Fatalf("history file:\n%s", hist)
	}

	tm2 := e.startTmux(t)
	tm2.waitFor("1> ")
	tm2.send("Up", "Up")
	tm2.waitFor("func add(a int) int { return a + 2; }")
	tm2.send("Enter")
	tm2.waitFor("2> ")
	tm2.line("add(40)")
	tm2.waitFor("42")

	// Piped input is not recorded.
	before, _ := os.ReadFile(filepath.Join(e.home, ".gerl_history"))
	e.runPiped(t, "secretInput := 1\n")
	after, _ := os.ReadFile(filepath.Join(e.home, ".gerl_history"))
	if strings.Contains(string(after), "secretInput") || len(after) < len(before) {
		t.Fatalf("piped input changed the history:\n%s", after)
	}
	tm2.send("C-d")
	tm2.waitExit()
}

// TestTypedNilDoesNotCrash: printing a value whose Error method panics (a
// typed nil error) prints something and does not take the node down.
func TestTypedNilDoesNotCrash(t *testing.T) {
	e := newTestEnv(t)
	n := e.startNode(t)
	n.expect("var pe *os.PathError", "")
	n.expect("pe", `error("<nil>")`)
	n.expect("1 + 1", "2")
}
