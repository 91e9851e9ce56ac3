package cluster

import (
	"fmt"

	"github.com/gerl-dev/gerl/node/term"
)

// Functions that travel (docs/protocol.md, "Spawn and rpc of closures").
// Remote spawn and rpc run a Fun: a function the remote node knows by
// name, or Code, a closure shipped as source with copies of the variables
// it captured, which the remote node compiles (its CodeRunner, the
// interpreter side: package eval). Both go out as SPAWN_FUN and RPC_FUN,
// which also carry the caller's group leader, so that what the function
// prints comes home. A peer that does not announce FlagFun gets the older
// SPAWN_REQ and RPC_REQ for a name (without a group leader) and cannot run
// Code; one that does not announce FlagMade cannot run a module's closure.

// Fun is what a remote spawn or rpc runs: the function the remote node
// knows as Name, or Code when Code is not nil.
type Fun struct {
	Name string
	Code *Code
}

// String names the function in errors: its name, or "fun".
func (f Fun) String() string {
	if f.Code != nil {
		return "fun"
	}
	return f.Name
}

// Code is a closure as it travels: Go source and the values it captured.
// Its meaning belongs to the CodeRunner that compiles it (package eval:
// eval/ship.go and eval/code.go say what each field holds); the
// distribution layer carries it as the term
//
//	{code, Imports, Decls, Func, Names, Types, Values, Modules}
//	{code, Imports, Decls, Func, Names, Types, Values, Modules, {Module, Version, Index}}
//
// with Imports, Names, Types and Modules lists of strings, Decls and Func
// strings, and Values a list of terms as long as Names and Types. The
// second form is a closure a module made (Made): the receiving node runs
// the module's own compiled code for it, as Erlang runs a fun of a module
// from the module's code, so the source is there for errors only.
type Code struct {
	Imports []string // import specs: "path" or "name path"
	Decls   string   // declarations the function needs (functions, types)
	Func    string   // the function literal
	Names   []string // the captured variables
	Types   []string // their types, in Go syntax
	Values  []any    // their values, copies made when the call was made
	Modules []string // modules the code calls: the remote node must have them
	Made    *Made    // the module literal it was made from, or nil for a closure of a prompt
}

// Made names the function literal of a module a closure was made from:
// the module, the version of its source (a hash: the receiving node must
// run the same source) and the literal's number in it.
type Made struct {
	Module  string
	Version string
	Index   int
}

// CodeRunner compiles shipped code into a function. A FuncTable
// (Config.Functions) that also implements it lets the node run Code; a
// node without one refuses it (ErrBadCode). RunCode is called from many
// goroutines at once, never from a connection's reader.
type CodeRunner interface {
	RunCode(code *Code) (fn any, err error)
}

var atomCode = term.Atom("code")

// term returns the code as the term it travels as.
func (c *Code) term() term.Tuple {
	values := c.Values
	if values == nil {
		values = []any{}
	}
	t := term.Tuple{atomCode, nonNil(c.Imports), c.Decls, c.Func, nonNil(c.Names), nonNil(c.Types), values, nonNil(c.Modules)}
	if c.Made != nil {
		t = append(t, term.Tuple{c.Made.Module, c.Made.Version, c.Made.Index})
	}
	return t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// check says why a peer announcing flags cannot run f, or nil.
func (f Fun) check(flags uint64) error {
	switch {
	case f.Code == nil:
	case flags&FlagFun == 0:
		return fmt.Errorf("the node does not run closures sent to it (an older gerl)")
	case f.Code.Made != nil && flags&FlagMade == 0:
		return fmt.Errorf("the node does not run closures made by a module (an older gerl): start a function by name")
	}
	return nil
}

// funTerm is the fun field of SPAWN_FUN and RPC_FUN: the name, or the
// code's term.
func (f Fun) funTerm() any {
	if f.Code != nil {
		return f.Code.term()
	}
	return f.Name
}

// funOf reads a fun field: a name, or a code term.
func funOf(v any) (Fun, error) {
	switch x := v.(type) {
	case string:
		return Fun{Name: x}, nil
	case term.Tuple:
		c, err := codeOf(x)
		if err != nil {
			return Fun{}, err
		}
		return Fun{Code: c}, nil
	}
	return Fun{}, fmt.Errorf("a function is a name or a code term, not %T", v)
}

// codeOf reads a code term sent by a peer, checking its shape.
func codeOf(t term.Tuple) (*Code, error) {
	if (len(t) != 8 && len(t) != 9) || t[0] != atomCode {
		return nil, fmt.Errorf("a code term is {code, Imports, Decls, Func, Names, Types, Values, Modules[, {Module, Version, Index}]}")
	}
	strs := func(i int, what string) ([]string, error) {
		s, ok := t[i].([]string)
		if !ok {
			return nil, fmt.Errorf("code: %s is not a list of strings", what)
		}
		return s, nil
	}
	str := func(i int, what string) (string, error) {
		s, ok := t[i].(string)
		if !ok {
			return "", fmt.Errorf("code: %s is not a string", what)
		}
		return s, nil
	}
	var c Code
	var err error
	if c.Imports, err = strs(1, "Imports"); err != nil {
		return nil, err
	}
	if c.Decls, err = str(2, "Decls"); err != nil {
		return nil, err
	}
	if c.Func, err = str(3, "Func"); err != nil {
		return nil, err
	}
	if c.Names, err = strs(4, "Names"); err != nil {
		return nil, err
	}
	if c.Types, err = strs(5, "Types"); err != nil {
		return nil, err
	}
	values, ok := t[6].([]any)
	if !ok {
		return nil, fmt.Errorf("code: Values is not a list")
	}
	c.Values = values
	if c.Modules, err = strs(7, "Modules"); err != nil {
		return nil, err
	}
	if len(c.Names) != len(c.Types) || len(c.Names) != len(c.Values) {
		return nil, fmt.Errorf("code: %d names, %d types and %d values", len(c.Names), len(c.Types), len(c.Values))
	}
	if len(t) == 9 {
		if c.Made, err = madeOf(t[8]); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// madeOf reads the {Module, Version, Index} of a module's closure.
func madeOf(v any) (*Made, error) {
	t, ok := v.(term.Tuple)
	if !ok || len(t) != 3 {
		return nil, fmt.Errorf("code: the module literal is not {Module, Version, Index}")
	}
	mod, ok1 := t[0].(string)
	ver, ok2 := t[1].(string)
	var idx int
	ok3 := true
	switch x := t[2].(type) {
	case int:
		idx = x
	case int64:
		idx = int(x)
	default:
		ok3 = false
	}
	if !ok1 || !ok2 || !ok3 || mod == "" || idx < 0 {
		return nil, fmt.Errorf("code: the module literal is not {Module, Version, Index}")
	}
	return &Made{Module: mod, Version: ver, Index: idx}, nil
}

// codeRunner returns the node's CodeRunner, or nil.
func (d *Dist) codeRunner() CodeRunner {
	r, _ := d.cfg.Functions.(CodeRunner)
	return r
}

// leaderTerm is a group leader field: the pid, or nil for none.
func leaderTerm(l term.Pid) any {
	if l.IsZero() {
		return nil
	}
	return l
}
