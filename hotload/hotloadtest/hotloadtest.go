// Package hotloadtest helps test hot code loading end to end: through the
// gerl binary, with real files edited the way editors edit them.
//
// A recipe for the shell's end-to-end test (docs/hotload.md has the
// semantics):
//
//  1. dir := t.TempDir(); write CounterModule(1) to dir/counter.go.
//  2. Start `gerl -pa DIR -watch` (or without -watch and type l("counter"))
//     with its stdin and stdout connected to the test.
//  3. Type c("counter"), then pid := spawn("counter.Loop", 0), then
//     call(pid, "inc"): the shell prints {ok,counter}, nothing, then 1.
//  4. SaveLikeEditor(dir/counter.go, CounterModule(10)). With -watch, the
//     node logs the reload (level INFO, "reloaded after a change",
//     module=counter version=2); wait for that line on the node's log
//     output, or poll m("counter") until it says "Version: 2". Without
//     -watch, type l("counter"): it prints {module,counter}.
//  5. Type call(pid, "inc"): it prints 11. The same pid served both
//     versions.
//  6. SaveLikeEditor with a broken body (BrokenCounterModule()): the log
//     (or l) shows counter.go:LINE:COL and call(pid, "inc") still prints 21.
//
// Never sleep to wait for the reload: wait for its log line or poll with a
// deadline.
package hotloadtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SaveLikeEditor saves text to path as editors do: it writes a temporary
// file beside it and renames it over the original, so a watch on the file
// itself would lose track of it (hot loading watches directories).
func SaveLikeEditor(path, text string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// CounterModule returns the source of module counter (counter.go), the
// server of docs/hotload.md: counter.Loop(p, count) serves gerl.Call
// requests "inc" (add step, answer the count) and "get" (answer the
// count), each through the qualified call counter.Handle, so each request
// runs the newest version.
func CounterModule(step int) string {
	return strings.ReplaceAll(counterTemplate, "STEP", strconv.Itoa(step))
}

// BrokenCounterModule returns a version of counter.go that does not type-
// check: line 14, column 2 adds a string to an int.
func BrokenCounterModule() string { return brokenTemplate }

const counterTemplate = `package counter

import "gerl"

// Loop is the server. It handles each request through the module
// (counter.Handle), so each request runs the newest version of Handle.
func Loop(p *gerl.Proc, count int) {
	for {
		if req, ok := p.Receive().(gerl.Request); ok {
			count = counter.Handle(req, count)
		}
	}
}

// Handle answers one request and returns the new count.
func Handle(req gerl.Request, count int) int {
	op, _ := req.Request.(string)
	switch op {
	case "inc":
		count += STEP
		gerl.Reply(req, count)
	case "get":
		gerl.Reply(req, count)
	}
	return count
}
`

const brokenTemplate = `package counter

import "gerl"

func Loop(p *gerl.Proc, count int) {
	for {
		if req, ok := p.Receive().(gerl.Request); ok {
			count = counter.Handle(req, count)
		}
	}
}

func Handle(req gerl.Request, count int) int {
	count += "ten"
	return count
}
`
