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
	op, _ := req.Body.(string)
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
