package server

import "reflect"

// Types of the interpreter. The shell and hot-loaded modules run Go in
// yaegi, whose types are not compiled Go types: a compiled function cannot
// call their methods through an interface unless yaegi wraps the value in
// a compiled struct, one func field per method (named W + the method),
// found under "_" + the interface's name in the exports of the
// interface's own package path. The optional methods (HandleInfo,
// Terminate, CodeChange) are what Go's optional interfaces are for, so
// there is one wrapper per combination: yaegi takes, from the MapTypes
// list, the first (most complete) whose methods the type has all of, and
// the server finds the optional interfaces on it as on any Go value.
// Each wrapper forwards the methods it lists: keep them in step with the
// interfaces of behaviour.go.

// interpreted is implemented by the wrappers: the value they wrap, which
// holds the state.
type interpreted interface {
	value() any
}

// InterpreterSymbols returns what the interpreter needs to let its types
// implement Behaviour: the symbols of this package's own import path
// (PkgPath, "_Behaviour": the plain wrapper) and the MapTypes entry that
// lists the wrappers with optional methods, for yaegi's Use. The shell's
// exports add both.
func InterpreterSymbols() (pkgPath string, symbols map[string]reflect.Value, mapTypes map[reflect.Value][]reflect.Type) {
	w := reflect.ValueOf((*wrapBehaviour)(nil))
	list := []reflect.Type{
		reflect.TypeOf(wrapBehaviourITC{}),
		reflect.TypeOf(wrapBehaviourIT{}),
		reflect.TypeOf(wrapBehaviourIC{}),
		reflect.TypeOf(wrapBehaviourTC{}),
		reflect.TypeOf(wrapBehaviourI{}),
		reflect.TypeOf(wrapBehaviourT{}),
		reflect.TypeOf(wrapBehaviourC{}),
		reflect.TypeOf(wrapBehaviour{}),
	}
	return reflect.TypeOf((*Behaviour)(nil)).Elem().PkgPath(), map[string]reflect.Value{"_Behaviour": w},
		map[reflect.Value][]reflect.Type{w: list}
}

type wrapBehaviourITC struct {
	IValue      any
	WInit       func(args any) error
	WHandleCall func(req any, from From) (any, error)
	WHandleCast func(msg any) error
	WHandleInfo func(msg any) error
	WTerminate  func(reason any)
	WCodeChange func(old map[string]any) error
}

func (w wrapBehaviourITC) value() any          { return w.IValue }
func (w wrapBehaviourITC) Init(args any) error { return w.WInit(args) }
func (w wrapBehaviourITC) HandleCall(req any, from From) (any, error) {
	return w.WHandleCall(req, from)
}
func (w wrapBehaviourITC) HandleCast(msg any) error            { return w.WHandleCast(msg) }
func (w wrapBehaviourITC) HandleInfo(msg any) error            { return w.WHandleInfo(msg) }
func (w wrapBehaviourITC) Terminate(reason any)                { w.WTerminate(reason) }
func (w wrapBehaviourITC) CodeChange(old map[string]any) error { return w.WCodeChange(old) }

type wrapBehaviourIT struct {
	IValue      any
	WInit       func(args any) error
	WHandleCall func(req any, from From) (any, error)
	WHandleCast func(msg any) error
	WHandleInfo func(msg any) error
	WTerminate  func(reason any)
}

func (w wrapBehaviourIT) value() any                                 { return w.IValue }
func (w wrapBehaviourIT) Init(args any) error                        { return w.WInit(args) }
func (w wrapBehaviourIT) HandleCall(req any, from From) (any, error) { return w.WHandleCall(req, from) }
func (w wrapBehaviourIT) HandleCast(msg any) error                   { return w.WHandleCast(msg) }
func (w wrapBehaviourIT) HandleInfo(msg any) error                   { return w.WHandleInfo(msg) }
func (w wrapBehaviourIT) Terminate(reason any)                       { w.WTerminate(reason) }

type wrapBehaviourIC struct {
	IValue      any
	WInit       func(args any) error
	WHandleCall func(req any, from From) (any, error)
	WHandleCast func(msg any) error
	WHandleInfo func(msg any) error
	WCodeChange func(old map[string]any) error
}

func (w wrapBehaviourIC) value() any                                 { return w.IValue }
func (w wrapBehaviourIC) Init(args any) error                        { return w.WInit(args) }
func (w wrapBehaviourIC) HandleCall(req any, from From) (any, error) { return w.WHandleCall(req, from) }
func (w wrapBehaviourIC) HandleCast(msg any) error                   { return w.WHandleCast(msg) }
func (w wrapBehaviourIC) HandleInfo(msg any) error                   { return w.WHandleInfo(msg) }
func (w wrapBehaviourIC) CodeChange(old map[string]any) error        { return w.WCodeChange(old) }

type wrapBehaviourTC struct {
	IValue      any
	WInit       func(args any) error
	WHandleCall func(req any, from From) (any, error)
	WHandleCast func(msg any) error
	WTerminate  func(reason any)
	WCodeChange func(old map[string]any) error
}

func (w wrapBehaviourTC) value() any                                 { return w.IValue }
func (w wrapBehaviourTC) Init(args any) error                        { return w.WInit(args) }
func (w wrapBehaviourTC) HandleCall(req any, from From) (any, error) { return w.WHandleCall(req, from) }
func (w wrapBehaviourTC) HandleCast(msg any) error                   { return w.WHandleCast(msg) }
func (w wrapBehaviourTC) Terminate(reason any)                       { w.WTerminate(reason) }
func (w wrapBehaviourTC) CodeChange(old map[string]any) error        { return w.WCodeChange(old) }

type wrapBehaviourI struct {
	IValue      any
	WInit       func(args any) error
	WHandleCall func(req any, from From) (any, error)
	WHandleCast func(msg any) error
	WHandleInfo func(msg any) error
}

func (w wrapBehaviourI) value() any                                 { return w.IValue }
func (w wrapBehaviourI) Init(args any) error                        { return w.WInit(args) }
func (w wrapBehaviourI) HandleCall(req any, from From) (any, error) { return w.WHandleCall(req, from) }
func (w wrapBehaviourI) HandleCast(msg any) error                   { return w.WHandleCast(msg) }
func (w wrapBehaviourI) HandleInfo(msg any) error                   { return w.WHandleInfo(msg) }

type wrapBehaviourT struct {
	IValue      any
	WInit       func(args any) error
	WHandleCall func(req any, from From) (any, error)
	WHandleCast func(msg any) error
	WTerminate  func(reason any)
}

func (w wrapBehaviourT) value() any                                 { return w.IValue }
func (w wrapBehaviourT) Init(args any) error                        { return w.WInit(args) }
func (w wrapBehaviourT) HandleCall(req any, from From) (any, error) { return w.WHandleCall(req, from) }
func (w wrapBehaviourT) HandleCast(msg any) error                   { return w.WHandleCast(msg) }
func (w wrapBehaviourT) Terminate(reason any)                       { w.WTerminate(reason) }

type wrapBehaviourC struct {
	IValue      any
	WInit       func(args any) error
	WHandleCall func(req any, from From) (any, error)
	WHandleCast func(msg any) error
	WCodeChange func(old map[string]any) error
}

func (w wrapBehaviourC) value() any                                 { return w.IValue }
func (w wrapBehaviourC) Init(args any) error                        { return w.WInit(args) }
func (w wrapBehaviourC) HandleCall(req any, from From) (any, error) { return w.WHandleCall(req, from) }
func (w wrapBehaviourC) HandleCast(msg any) error                   { return w.WHandleCast(msg) }
func (w wrapBehaviourC) CodeChange(old map[string]any) error        { return w.WCodeChange(old) }

type wrapBehaviour struct {
	IValue      any
	WInit       func(args any) error
	WHandleCall func(req any, from From) (any, error)
	WHandleCast func(msg any) error
}

func (w wrapBehaviour) value() any                                 { return w.IValue }
func (w wrapBehaviour) Init(args any) error                        { return w.WInit(args) }
func (w wrapBehaviour) HandleCall(req any, from From) (any, error) { return w.WHandleCall(req, from) }
func (w wrapBehaviour) HandleCast(msg any) error                   { return w.WHandleCast(msg) }
