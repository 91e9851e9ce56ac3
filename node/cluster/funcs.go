package cluster

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
)

// FuncTable resolves the names remote spawn and rpc ask for. Hot-loaded
// modules provide one; Lookup is called from many goroutines at once.
type FuncTable interface {
	Lookup(name string) (fn any, ok bool)
}

// Errors of remote spawn and rpc; test them with errors.Is.
var (
	// ErrNoFunction: the node knows no function of that name.
	ErrNoFunction = errors.New("no such function")
	// ErrBadArgs: the arguments do not fit the function's parameters.
	ErrBadArgs = errors.New("bad arguments")
	// ErrRemotePanic: the function panicked on the remote node.
	ErrRemotePanic = errors.New("the function panicked")
	// ErrRemoteFailed: the function returned an error, or its process
	// exited before it returned.
	ErrRemoteFailed = errors.New("the function failed")
	// ErrBadResult: the function's result cannot be sent back.
	ErrBadResult = errors.New("the result cannot be sent")
	// ErrRefused: the node refused: it is stopping, or it does not serve
	// rpc or remote spawn (its flags say so).
	ErrRefused = errors.New("refused")
	// ErrBadCode: the node cannot run the code sent to it: it does not
	// compile there, or needs a module the node has not loaded.
	ErrBadCode = errors.New("the code cannot run there")
)

// errErlangCode refuses a closure for an Erlang node, which runs Erlang
// funs, not Go source.
var errErlangCode = fmt.Errorf("%w: an Erlang node runs no Go closure; call one of its functions by name (\"lists:reverse\")", ErrRefused)

// Status codes of SPAWN_REPLY and RPC_REPLY. Wire constants.
const (
	statusOK       = 0
	statusNoFunc   = 1
	statusBadArgs  = 2
	statusPanic    = 3
	statusFailed   = 4
	statusBadValue = 5
	statusRefused  = 6
	statusBadCode  = 7
)

func statusErr(status uint64) error {
	switch status {
	case statusNoFunc:
		return ErrNoFunction
	case statusBadArgs:
		return ErrBadArgs
	case statusPanic:
		return ErrRemotePanic
	case statusFailed:
		return ErrRemoteFailed
	case statusBadValue:
		return ErrBadResult
	case statusBadCode:
		return ErrBadCode
	}
	return ErrRefused
}

// RemoteError is what a remote spawn or rpc returns when the remote node
// answered with a failure. It matches the sentinel of its Status with
// errors.Is (ErrNoFunction, ErrBadArgs, ErrRemotePanic...).
type RemoteError struct {
	Node    string
	Func    string
	Status  uint64
	Message string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("%s on %s: %v: %s", e.Func, e.Node, statusErr(e.Status), e.Message)
}

func (e *RemoteError) Unwrap() error { return statusErr(e.Status) }

// funcTable holds the functions given to RegisterFunc, in front of the
// configured FuncTable.
type funcTable struct {
	mu    sync.RWMutex // protects fns
	fns   map[string]any
	outer FuncTable
}

func (t *funcTable) init(outer FuncTable) {
	t.fns = make(map[string]any)
	t.outer = outer
}

func (t *funcTable) lookup(name string) (any, bool) {
	t.mu.RLock()
	fn, ok := t.fns[name]
	t.mu.RUnlock()
	if ok {
		return fn, true
	}
	if t.outer != nil {
		return t.outer.Lookup(name)
	}
	return nil, false
}

// RegisterFunc makes fn callable by name from other nodes (remote spawn
// and rpc) and from this one. fn is any Go function; it is called with
// node.Entry semantics (see rpc.go). Registering a name again replaces it.
func (d *Dist) RegisterFunc(name string, fn any) error {
	if name == "" || reflect.TypeOf(fn) == nil || reflect.TypeOf(fn).Kind() != reflect.Func {
		return fmt.Errorf("register function %q: not a function", name)
	}
	d.funcs.mu.Lock()
	d.funcs.fns[name] = fn
	d.funcs.mu.Unlock()
	return nil
}

// UnregisterFunc removes a function given to RegisterFunc.
func (d *Dist) UnregisterFunc(name string) {
	d.funcs.mu.Lock()
	delete(d.funcs.fns, name)
	d.funcs.mu.Unlock()
}
