package docs

// The multi-node driver: runs a markdown document whose "gerl NODE" blocks
// are typed on several nodes, each a real gerl process built from this
// checkout, fed one input at a time (the session of doc_test.go).
//
// What the reader does besides typing at a prompt is written in HTML
// comments, invisible once rendered, one per line outside code blocks:
//
//	<!-- test: start NODE ARGS... -->  start gerl ARGS for NODE (the command the
//	                                    text shows) and wait until it reads input
//	<!-- test: kill NODE -->            SIGKILL NODE's process and wait for it to
//	                                    exit (the text says: close its terminal)
//	<!-- test: write PATH -->           write the next fenced block to PATH, in
//	                                    the nodes' directory (the text says: edit)
//	<!-- test: erl NODE ARGS... -->     start a real erl shell (erl_helpers_test.go)
//	<!-- test: eventually -->           the next step shows a state that spreads
//	                                    between nodes (a group's members): it is
//	                                    typed again, every 50 ms, until its output
//	                                    matches, for up to 20 s (a reader types
//	                                    slower than the news travels; a test
//	                                    on a loaded machine may not)
//
// Every node of a document shares one HOME (so one cookie) and one port
// mapper, on a free port of its own; the port mapper is killed at the end.
// Each node listens for distribution only on the address its host name
// resolves to (-dist_address, added to the document's command line): a
// loopback address on most machines (/etc/hosts), and the one address
// other nodes dial to reach it by that name anyway.
//
// Outputs are compared exactly, after these normalizations of both the
// document and gerl's output:
//
//   - Host name: "@vm" in the document (inputs, outputs, directives) is this
//     machine's short host name.
//   - Pids and refs: <foo@vm.12.0> stands for a pid of node foo@vm, and
//     #Ref<foo@vm.7.0> for a ref made on foo@vm; the numbers vary from run to
//     run. The binding is kept for the whole document: the same pid in the
//     text must be the same pid in gerl's output, and two different ones in
//     the text two different ones in the output.
//   - The observer's URL: http://127.0.0.1:8080/ in the document stands for
//     the URL observer() prints, whatever its port.
//   - Trace lines ("(<foo@vm.6.2>) << {pong,...}", printed after trace()) are
//     printed when the traced processes act, not in step with the prompt:
//     they are treated as reports of one line each.
//   - Reports (=CRASH REPORT====, =ERROR REPORT====, ...) are printed by the
//     node's logger when things happen, not in step with the prompt. A report
//     the document shows in a step's output must have been printed by the end
//     of that step (the test waits for it), anywhere in the output; its time
//     stamp matches any time; and the Go stack that a piped gerl adds to a
//     crash report (lines indented by four spaces) is ignored, since an
//     interactive gerl, which the document shows, does not print it. A report
//     the document does not show fails the test.
//
// Prompts are checked too: the blocks of NODE must show "(NODE@vm)N> " with
// N counting from 1 after each start, so the text reads as a real session.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// docHost is the host part the documents use in node names.
const docHost = "vm"

// showOutputs logs what every step printed (GERL_DOCS_SHOW=1 go test -v),
// for writing a document.
var showOutputs = os.Getenv("GERL_DOCS_SHOW") != ""

// scriptItem is one thing to do: a step typed on a node, or a directive.
type scriptItem struct {
	line   int
	step   *step
	prompt string   // the step's prompt, "(foo@vm)3"
	args   []string // a directive's words
	body   string   // write: the next fenced block
}

var directiveRE = regexp.MustCompile(`^<!-- test: (.*) -->$`)

// readScript returns the steps of a document (transcripts) and its
// directives, in the order of the text.
func readScript(t *testing.T, path string) []scriptItem {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var items []scriptItem
	for _, st := range transcripts(t, path) {
		m := promptRE.FindStringSubmatch(lines[st.line-1])
		items = append(items, scriptItem{line: st.line, step: &st, prompt: m[1] + m[2]})
	}
	var inFence, wantBody bool
	var body strings.Builder
	var pending *scriptItem
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inFence = !inFence
			if inFence && wantBody {
				body.Reset()
			}
			if !inFence && wantBody {
				pending.body = body.String()
				items = append(items, *pending)
				wantBody, pending = false, nil
			}
			continue
		}
		if inFence {
			if wantBody {
				body.WriteString(line + "\n")
			}
			continue
		}
		m := directiveRE.FindStringSubmatch(trimmed)
		if m == nil {
			continue
		}
		if wantBody {
			t.Fatalf("%s:%d: a write directive without a code block after it", path, pending.line)
		}
		it := scriptItem{line: i + 1, args: strings.Fields(m[1])}
		if len(it.args) == 0 {
			t.Fatalf("%s:%d: empty directive", path, i+1)
		}
		if it.args[0] == "write" {
			wantBody, pending = true, &it
			continue
		}
		items = append(items, it)
	}
	if wantBody {
		t.Fatalf("%s:%d: a write directive without a code block after it", path, pending.line)
	}
	// Steps and directives were collected separately: merge them by line.
	sort.SliceStable(items, func(i, j int) bool { return items[i].line < items[j].line })
	return items
}

// cluster is the nodes of one document.
type cluster struct {
	t        *testing.T
	file     string
	dir      string // the nodes' working directory
	writable bool   // whether write directives may write in dir
	home     string
	pmPort   int
	env      []string
	host     string
	hostAddr string // where the host name resolves: the nodes listen there
	nodes    map[string]*docNode
	pids     *binder
	settle   bool // an eventually directive applies to the next step
}

// docNode is one gerl process, or one erl shell, and what the test knows
// of its output.
type docNode struct {
	name    string
	s       *testkit.Gerl
	erl     *erlShell // instead of s, for an Erlang node
	dead    bool
	prompt  int      // the last prompt number the document showed
	pending []string // reports printed and not yet matched
}

// shortHostname is the host part gerl gives -sname nodes.
func shortHostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	short, _, _ := strings.Cut(h, ".")
	return short
}

// runDocument runs every step and directive of a markdown file. dir is the
// nodes' working directory ("" for a fresh one under the test's HOME).
func runDocument(t *testing.T, path, dir string) {
	items := readScript(t, path)
	if len(items) == 0 {
		t.Fatalf("%s has no gerl examples", path)
	}
	home := t.TempDir()
	c := &cluster{
		t: t, file: path, dir: dir, home: home,
		host: shortHostname(t), nodes: map[string]*docNode{}, pids: newBinder(),
	}
	if c.dir == "" {
		c.dir = filepath.Join(home, "workshop")
		c.writable = true
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	c.pmPort = testkit.FreePort(t)
	c.env = testkit.Environ(home, c.pmPort)
	addrs, err := net.LookupHost(c.host)
	if err != nil || len(addrs) == 0 {
		t.Fatalf("this machine's host name %q does not resolve (%v): nodes named after it cannot connect", c.host, err)
	}
	c.hostAddr = addrs[0]
	// Cleanups run last first: the nodes stop (cleanups registered when they
	// start), then this kills their port mapper.
	t.Cleanup(c.killPortMapper)
	for _, it := range items {
		if it.step != nil {
			c.run(it)
			continue
		}
		c.directive(it)
	}
	c.checkNoReports()
}

// sub replaces the documents' host name by this machine's.
func (c *cluster) sub(s string) string {
	return hostRE.ReplaceAllString(s, "@"+c.host+"$1")
}

var hostRE = regexp.MustCompile(`@` + docHost + `([^A-Za-z0-9_-]|$)`)

func (c *cluster) where(line int) string { return fmt.Sprintf("%s:%d", c.file, line) }

func (c *cluster) directive(it scriptItem) {
	t := c.t
	at := c.where(it.line)
	switch verb, args := it.args[0], it.args[1:]; verb {
	case "start":
		if len(args) < 1 {
			t.Fatalf("%s: start NODE ARGS...", at)
		}
		if n := c.nodes[args[0]]; n != nil && !n.dead {
			t.Fatalf("%s: %s is already running", at, args[0])
		}
		var gargs []string
		for _, a := range args[1:] {
			a = c.sub(a)
			if strings.HasPrefix(a, "~/") {
				a = filepath.Join(c.home, a[2:])
			}
			gargs = append(gargs, a)
		}
		gargs = append(gargs, "-dist_address", c.hostAddr)
		n := &docNode{name: args[0], s: c.startGerl(gargs)}
		c.nodes[args[0]] = n
		// An empty input returns once the node has started and reads input.
		if out := n.s.Eval(""); out != "" {
			t.Fatalf("%s: starting %s printed:\n%s", at, args[0], out)
		}
	case "erl":
		if len(args) < 1 {
			t.Fatalf("%s: erl NODE ARGS...", at)
		}
		if n := c.nodes[args[0]]; n != nil && !n.dead {
			t.Fatalf("%s: %s is already running", at, args[0])
		}
		c.nodes[args[0]] = &docNode{name: args[0], erl: c.startErl(at, args[0], args[1:])}
	case "eventually":
		if len(args) != 0 {
			t.Fatalf("%s: eventually takes no arguments", at)
		}
		c.settle = true
	case "kill":
		n := c.live(at, args)
		if n.erl != nil {
			t.Fatalf("%s: kill is for gerl nodes", at)
		}
		n.s.Kill()
		n.dead = true
	case "write":
		if len(args) != 1 {
			t.Fatalf("%s: write PATH", at)
		}
		if !c.writable {
			t.Fatalf("%s: this document's nodes run in %s, which the test does not write to", at, c.dir)
		}
		p := filepath.Join(c.dir, filepath.FromSlash(args[0]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(it.body), 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("%s: unknown directive %q", at, verb)
	}
}

func (c *cluster) live(at string, args []string) *docNode {
	if len(args) != 1 {
		c.t.Fatalf("%s: want one node name, got %q", at, args)
	}
	n := c.nodes[args[0]]
	if n == nil || n.dead {
		c.t.Fatalf("%s: %s is not running (a start directive is missing)", at, args[0])
	}
	return n
}

// startGerl starts gerl in the cluster's directory.
func (c *cluster) startGerl(args []string) *testkit.Gerl {
	return testkit.StartGerl(c.t, gerlBin, c.env, c.dir, args...)
}

// killPortMapper stops the cluster's port mapper (which gerl started as a
// daemon), once its nodes have unregistered.
func (c *cluster) killPortMapper() {
	testkit.KillPortMapper(c.t, c.home, c.pmPort)
}

// run types one step on its node and checks what it printed.
func (c *cluster) run(it scriptItem) {
	t := c.t
	st := it.step
	at := c.where(st.line)
	n := c.nodes[st.node]
	if st.node == "" || n == nil || n.dead {
		t.Fatalf("%s: node %q is not running (gerl NODE blocks, after a start directive)", at, st.node)
	}
	wantPrompt := fmt.Sprintf("(%s@%s)%d", st.node, docHost, n.prompt+1)
	if it.prompt != wantPrompt {
		t.Fatalf("%s: prompt %s> should be %s>", at, it.prompt, wantPrompt)
	}
	n.prompt++
	if (n.erl != nil) != st.erl {
		t.Fatalf("%s: %s is a node of the other kind (erl blocks for erl nodes, gerl blocks for gerl nodes)", at, st.node)
	}
	if n.erl != nil {
		got := n.erl.Eval(c.sub(st.input))
		if showOutputs {
			t.Logf("%s: %s> %s\n%s", at, it.prompt, st.input, got)
		}
		if got != c.sub(st.expect) {
			t.Fatalf("%s: %s> %s\ngot:\n%s\nwant:\n%s", at, it.prompt, st.input, got, st.expect)
		}
		return
	}
	settle := c.settle
	c.settle = false
	wantRest, wantReports := splitReports(c.sub(st.expect))
	if settle && len(wantReports) > 0 {
		t.Fatalf("%s: an eventually step must not show reports (it may be typed more than once)", at)
	}
	wantRest = observerURLRE.ReplaceAllString(wantRest, observerURL)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := n.s.Eval(c.sub(st.input))
		if showOutputs {
			t.Logf("%s: %s> %s\n%s", at, it.prompt, st.input, got)
		}
		gotRest, reports := splitReports(got)
		n.pending = append(n.pending, reports...)
		gotRest = observerURLRE.ReplaceAllString(gotRest, observerURL)
		for _, r := range wantReports {
			c.awaitReport(n, r, at)
		}
		if c.pids.match(wantRest, gotRest) {
			return
		}
		if !settle || time.Now().After(deadline) {
			t.Fatalf("%s: %s> %s\ngot:\n%s\nwant:\n%s", at, it.prompt, st.input, got, st.expect)
		}
		time.Sleep(50 * time.Millisecond) // polling for the state to spread, up to the deadline
	}
}

// awaitReport waits until node n has printed the report want, and claims it.
func (c *cluster) awaitReport(n *docNode, want, at string) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		for i, r := range n.pending {
			if c.pids.match(want, r) {
				n.pending = append(n.pending[:i], n.pending[i+1:]...)
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: %s did not print the report:\n%s\nreports printed and not shown:\n%s",
				at, n.name, want, strings.Join(n.pending, "\n"))
		}
		// An empty input: its output is whatever the node printed since.
		out, reports := splitReports(n.s.Eval(""))
		if out != "" {
			c.t.Fatalf("%s: %s printed while the test waited for a report:\n%s", at, n.name, out)
		}
		n.pending = append(n.pending, reports...)
	}
}

// checkNoReports fails if a node printed a report the document does not show.
func (c *cluster) checkNoReports() {
	for name, n := range c.nodes {
		if n.erl != nil {
			continue
		}
		if !n.dead {
			out, reports := splitReports(n.s.Eval(""))
			n.pending = append(n.pending, reports...)
			if out != "" {
				c.t.Errorf("%s printed after the document's last step:\n%s", name, out)
			}
		}
		if len(n.pending) > 0 {
			c.t.Errorf("%s printed reports the document does not show:\n%s", name, strings.Join(n.pending, "\n"))
		}
	}
}

var (
	reportRE = regexp.MustCompile(`^=([A-Z]+) REPORT==== (\d{2}-[A-Z][a-z]{2}-\d{4}::\d{2}:\d{2}:\d{2}) ===$`)
	stackRE  = regexp.MustCompile(`^    `)
	traceRE  = regexp.MustCompile(`^(\(<[^<>\s]+>\) |\*\*\* \d+ trace events dropped )`)
	// observerURLRE matches the URL observer() prints on loopback.
	observerURLRE = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
)

const observerURL = "http://127.0.0.1:PORT/"

// splitReports takes the reports out of an output. It returns the rest and
// each report with its time stamp replaced by TIME, without the Go stack of
// a crash report.
func splitReports(out string) (rest string, reports []string) {
	var b strings.Builder
	lines := strings.SplitAfter(out, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\n")
		if traceRE.MatchString(line) {
			reports = append(reports, line+"\n")
			continue
		}
		m := reportRE.FindStringSubmatch(line)
		if m == nil {
			b.WriteString(lines[i])
			continue
		}
		crash := m[1] == "CRASH"
		var r strings.Builder
		fmt.Fprintf(&r, "=%s REPORT==== TIME ===\n", m[1])
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  ") {
			i++
			if crash && stackRE.MatchString(lines[i]) {
				continue
			}
			r.WriteString(strings.TrimSuffix(lines[i], "\n") + "\n")
		}
		reports = append(reports, r.String())
	}
	return b.String(), reports
}

// binder matches the pids and refs of the documents with gerl's (see the
// comment at the top of the file).
type binder struct {
	docToReal, realToDoc map[string]string
}

func newBinder() *binder {
	return &binder{docToReal: map[string]string{}, realToDoc: map[string]string{}}
}

// idRE matches a pid or a ref: its kind and node, and its numbers.
var idRE = regexp.MustCompile(`(#Ref)?<([^<>\s]+?@[^<>\s]+)\.(\d+)\.(\d+)>`)

// match reports whether got is want with the pids and refs of want stood
// for by those of got, consistently with earlier matches; if so, it
// remembers the new pairs.
func (b *binder) match(want, got string) bool {
	wi := idRE.FindAllStringSubmatchIndex(want, -1)
	gi := idRE.FindAllStringSubmatchIndex(got, -1)
	if len(wi) != len(gi) {
		return false
	}
	add := map[string]string{}
	rev := map[string]string{}
	wPrev, gPrev := 0, 0
	for k := range wi {
		w, g := wi[k], gi[k]
		if want[wPrev:w[0]] != got[gPrev:g[0]] {
			return false
		}
		wPrev, gPrev = w[1], g[1]
		// The kind (#Ref or not) and the node must be the same.
		if (w[2] < 0) != (g[2] < 0) || want[w[4]:w[5]] != got[g[4]:g[5]] {
			return false
		}
		// The pid or ref, and the incarnation of its node (the creation,
		// the last number), which the pids and refs of a node share until
		// it restarts.
		pairs := [][2]string{
			{want[w[0]:w[1]], got[g[0]:g[1]]},
			{want[w[4]:w[5]] + "." + want[w[8]:w[9]], got[g[4]:g[5]] + "." + got[g[8]:g[9]]},
		}
		for _, p := range pairs {
			wid, gid := p[0], p[1]
			r, ok := b.docToReal[wid]
			if !ok {
				r, ok = add[wid]
			}
			if ok {
				if r != gid {
					return false
				}
				continue
			}
			if _, taken := b.realToDoc[gid]; taken {
				return false
			}
			if _, taken := rev[gid]; taken {
				return false
			}
			add[wid], rev[gid] = gid, wid
		}
	}
	if want[wPrev:] != got[gPrev:] {
		return false
	}
	for w, g := range add {
		b.docToReal[w], b.realToDoc[g] = g, w
	}
	return true
}

func TestDocNormalization(t *testing.T) {
	c := &cluster{host: "alice"}
	for in, want := range map[string]string{
		`ping("bar@vm")`:       `ping("bar@alice")`,
		"(foo@vm)3> nodes()":   "(foo@alice)3> nodes()",
		"[bar@vm,baz@vm]":      "[bar@alice,baz@alice]",
		"<foo@vm.1.2>":         "<foo@alice.1.2>",
		"foo@vmware, foo@vm_2": "foo@vmware, foo@vm_2",
	} {
		if got := c.sub(in); got != want {
			t.Errorf("sub(%q) = %q, want %q", in, got, want)
		}
	}

	b := newBinder()
	for _, m := range []struct {
		want, got string
		ok        bool
	}{
		{"{pong,<bar@vm.6.0>}", "{pong,<bar@vm.2.2>}", true},
		{"<bar@vm.6.0>", "<bar@vm.2.2>", true},
		{"<bar@vm.6.0>", "<bar@vm.3.2>", false},     // one pid in the text, two in gerl's output
		{"<bar@vm.7.0>", "<bar@vm.2.2>", false},     // two in the text, one in the output
		{"<bar@vm.7.1>", "<bar@vm.4.2>", false},     // the creation of bar's incarnation is bound
		{"<foo@vm.1.0>", "<bar@vm.1.0>", false},     // another node
		{"#Ref<foo@vm.1.0>", "<foo@vm.1.0>", false}, // a pid is not a ref
		{"{ping,<foo@vm.1.0>}", "{pong,<foo@vm.1.0>}", false},
		{"<bar@vm.7.0> <bar@vm.8.0>", "<bar@vm.4.2> <bar@vm.4.2>", false},
		{"<bar@vm.7.0>", "<bar@vm.4.2>", true}, // the failed matches bound nothing
		{"<bar@vm.1.5>", "<bar@vm.1.3>", true}, // bar restarted
		{"#Ref<foo@vm.1.0>", "#Ref<foo@vm.1.0>", true},
		{"x <foo@vm.9.0>", "x <foo@vm.9.0> y", false},
	} {
		if got := b.match(m.want, m.got); got != m.ok {
			t.Errorf("match(%q, %q) = %v, want %v", m.want, m.got, got, m.ok)
		}
	}

	out := "true\n=CRASH REPORT==== 21-Nov-2026::13:52:29 ===\n  process <foo@vm.9.2> (fun) exited: boom\n" +
		"    goroutine 7 [running]:\n    \tmain.go:1\n** exception error: boom\n" +
		"=ERROR REPORT==== 01-Dec-2026::01:02:03 ===\n  supervisor report\n    child: w\nok\n"
	rest, reports := splitReports(out)
	if want := "true\n** exception error: boom\nok\n"; rest != want {
		t.Errorf("rest = %q, want %q", rest, want)
	}
	want := []string{
		"=CRASH REPORT==== TIME ===\n  process <foo@vm.9.2> (fun) exited: boom\n",
		"=ERROR REPORT==== TIME ===\n  supervisor report\n    child: w\n",
	}
	if strings.Join(reports, "|") != strings.Join(want, "|") {
		t.Errorf("reports = %q, want %q", reports, want)
	}
}
