package hotload

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The load errors. Every error Load, Reload, LoadModified and the remote
// side of NetLoad return for a module that did not load matches exactly one
// of them with errors.Is, and a failed load changes nothing: the running
// version keeps running.
var (
	// ErrNotFound: no source for the module: not on the code path, the
	// file or directory does not exist, or it holds no .go file.
	ErrNotFound = errors.New("module not found")
	// ErrBadName: the module name is not an identifier made of ASCII
	// letters, digits and underscores, or it is reserved (main, gerl, a
	// standard package's import path, a code built-in's name).
	ErrBadName = errors.New("invalid module name")
	// ErrSyntax: a file does not parse.
	ErrSyntax = errors.New("syntax error")
	// ErrPackageName: the files do not all declare the same package, or
	// the package is not named after the module (counter.go must say
	// package counter).
	ErrPackageName = errors.New("package name mismatch")
	// ErrImport: an import names neither a standard package, gerl's API,
	// nor a module that is loaded or on the code path; or modules import
	// each other in a cycle.
	ErrImport = errors.New("import error")
	// ErrType: the package does not type-check (go/types), or the
	// interpreter refuses it.
	ErrType = errors.New("type error")
	// ErrInit: the package's initialization (package-level variables,
	// init functions) panicked.
	ErrInit = errors.New("initialization failed")
)

// Errors of the other operations.
var (
	// ErrNotLoaded: the operation needs a loaded module (purge, nl of a
	// module with no source here).
	ErrNotLoaded = errors.New("module not loaded")
	// ErrInUse: soft purge refused: processes still run the old version.
	ErrInUse = errors.New("old code still in use")
	// ErrUndef is the panic value (wrapped) of a qualified call to a
	// function the module's current version does not have, or has with
	// another type than the caller was compiled against: Erlang's undef.
	ErrUndef = errors.New("undefined function")
	// ErrClosed: the code server was closed.
	ErrClosed = errors.New("code server closed")
)

// Problem is one positioned diagnostic: File is the path as the user
// knows it (relative to the code server's directory when inside it), Line
// and Col are 1-based (0 when unknown).
type Problem struct {
	File      string
	Line, Col int
	Msg       string
}

func (p Problem) String() string {
	switch {
	case p.File == "":
		return p.Msg
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	case p.Col == 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// LoadError is a module that did not load. Kind is one of the load errors
// above (errors.Is(err, ErrSyntax) works on a *LoadError); Problems locate
// what is wrong, file:line:col, in source order.
type LoadError struct {
	Module   string
	Kind     error
	Problems []Problem
	Err      error // the underlying error, when there is one
}

func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "load %s: %v", e.Module, e.Kind)
	switch {
	case len(e.Problems) == 1:
		fmt.Fprintf(&b, ": %s", e.Problems[0])
	case len(e.Problems) > 1:
		for _, p := range e.Problems {
			fmt.Fprintf(&b, "\n%s", p)
		}
	case e.Err != nil:
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns the kind and the underlying error.
func (e *LoadError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// Lines returns the problems as lines (or the error itself when it has
// none), as the shell prints them.
func (e *LoadError) Lines() []string {
	if len(e.Problems) == 0 {
		return []string{e.Error()}
	}
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.String()
	}
	return out
}

func loadErr(module string, kind error, problems []Problem, err error) *LoadError {
	sortProblems(problems)
	return &LoadError{Module: module, Kind: kind, Problems: problems, Err: err}
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}
