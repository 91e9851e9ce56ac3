package node

import (
	"fmt"
	"reflect"

	"github.com/gerl-dev/gerl/node/term"
)

var (
	procPtrType = reflect.TypeFor[*Proc]()
	errorType   = reflect.TypeFor[error]()
)

// Entry turns fn and args into a process function, the way Erlang's
// spawn(M, F, Args) passes arguments: fn is any Go function; if its first
// parameter is a *Proc, the process's handle is passed there, and args fill
// the other parameters in order (a variadic last parameter takes the rest).
// Each argument is copied with term.Copy, so a process shares no memory
// with its spawner, and converted to its parameter's type when that loses
// nothing (an untyped constant like 5 fits an int64 parameter). If fn's
// last result is an error and it returns one, the process exits with
// reason {error, Message}.
//
// The function Entry returns may start any number of processes (a
// supervisor restarts a child with it): each gets its own copy of the
// arguments, as they were when Entry was called.
//
// Passing values as arguments is also the reliable way to give each process
// of a loop its own values: closures created in a loop share the loop's
// variables in the interpreter.
func Entry(fn any, args ...any) (func(*Proc), error) {
	return entry("spawn", fn, args, true)
}

// EntryOnce is Entry for a function that starts one process: it gets the
// copies of the arguments made here, without copying them again. Starting
// a second process with it would share them.
func EntryOnce(fn any, args ...any) (func(*Proc), error) {
	return entry("spawn", fn, args, false)
}

// ResumeEntry is EntryOnce for the function a process gives Hibernate:
// its errors say hibernate.
func ResumeEntry(fn any, args ...any) (func(*Proc), error) {
	return entry("hibernate", fn, args, false)
}

// entry makes a process's function; what (spawn, hibernate) begins its
// errors.
func entry(what string, fn any, args []any, reusable bool) (func(*Proc), error) {
	fv := reflect.ValueOf(fn)
	if fv.Kind() != reflect.Func || fv.IsNil() {
		return nil, fmt.Errorf("%s: %s is not a function", what, term.Format(fn))
	}
	withProc, in, err := entryArgs(fv.Type(), args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return entryFunc(fv, withProc, in, reusable), nil
}

// entryArgs checks args against the parameters of ft, a function type
// whose first parameter may be a *Proc (withProc), and returns private
// copies of them converted to the parameters' types.
func entryArgs(ft reflect.Type, args []any) (withProc bool, in []reflect.Value, err error) {
	withProc = ft.NumIn() > 0 && ft.In(0) == procPtrType
	first := 0
	if withProc {
		first = 1
	}
	params := ft.NumIn() - first
	switch {
	case ft.IsVariadic() && len(args) < params-1:
		return false, nil, fmt.Errorf("%s wants at least %s, got %d", ft, arguments(params-1), len(args))
	case !ft.IsVariadic() && len(args) != params:
		return false, nil, fmt.Errorf("%s wants %s, got %d", ft, arguments(params), len(args))
	}
	in = make([]reflect.Value, len(args))
	for i, a := range args {
		var pt reflect.Type
		if ft.IsVariadic() && first+i >= ft.NumIn()-1 {
			pt = ft.In(ft.NumIn() - 1).Elem()
		} else {
			pt = ft.In(first + i)
		}
		c, err := term.Copy(a)
		if err != nil {
			return false, nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		v, err := ConvertArg(c, pt)
		if err != nil {
			return false, nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		in[i] = v
	}
	return withProc, in, nil
}

// entryFunc is the process function that calls fv with the arguments in
// (checked by entryArgs), after the process's *Proc when withProc. A
// reusable one copies them again for each process it starts. A returned
// non-nil error ends the process with {error, Text}.
func entryFunc(fv reflect.Value, withProc bool, in []reflect.Value, reusable bool) func(*Proc) {
	ft := fv.Type()
	returnsErr := ft.NumOut() > 0 && ft.Out(ft.NumOut()-1) == errorType
	return func(p *Proc) {
		call := make([]reflect.Value, 0, len(in)+1)
		if withProc {
			call = append(call, reflect.ValueOf(p))
		}
		for _, v := range in {
			if reusable {
				v = copyArg(v)
			}
			call = append(call, v)
		}
		out := fv.Call(call)
		if returnsErr {
			if err, _ := out[len(out)-1].Interface().(error); err != nil {
				p.ExitSelf(term.Tuple{term.Atom("error"), err.Error()})
			}
		}
	}
}

// copyArg returns a private copy of an argument Entry has checked and
// converted already, so it cannot fail.
func copyArg(v reflect.Value) reflect.Value {
	if !v.IsValid() || !v.CanInterface() || (isNilable(v.Kind()) && v.IsNil()) {
		return v
	}
	c, err := term.Copy(v.Interface())
	if err != nil {
		panic(fmt.Sprintf("gerl: copying a checked spawn argument: %v", err))
	}
	out := reflect.New(v.Type()).Elem()
	out.Set(reflect.ValueOf(c).Convert(v.Type()))
	return out
}

func isNilable(k reflect.Kind) bool {
	switch k {
	case reflect.Interface, reflect.Slice, reflect.Map, reflect.Pointer, reflect.Func, reflect.Chan:
		return true
	}
	return false
}

// ConvertArg makes v a value of type t, when that loses nothing: nil for
// a type that has a nil, a value assignable to t, or a number that fits
// in t. It is the rule by which Entry passes arguments to a function's
// parameters; other conversions (Erlang's text and lists, in
// node/cluster) build on it. Safe for concurrent use.
func ConvertArg(v any, t reflect.Type) (reflect.Value, error) {
	if v == nil {
		if isNilable(t.Kind()) {
			return reflect.Zero(t), nil
		}
		return reflect.Value{}, fmt.Errorf("cannot use nil as %s", t)
	}
	rv := reflect.ValueOf(v)
	if rv.Type().AssignableTo(t) {
		out := reflect.New(t).Elem()
		out.Set(rv)
		return out, nil
	}
	if isNumber(rv.Kind()) && isNumber(t.Kind()) && rv.Type().ConvertibleTo(t) {
		out := rv.Convert(t)
		if back := out.Convert(rv.Type()); back.Equal(rv) {
			return out, nil
		}
		return reflect.Value{}, fmt.Errorf("%s does not fit in %s", term.Format(v), t)
	}
	return reflect.Value{}, fmt.Errorf("cannot use %s (%s) as %s", term.Format(v), rv.Type(), t)
}

// arguments says n arguments, in the singular for one.
func arguments(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// SpawnFunc starts fn with args as a process (see Entry for how arguments
// are passed), with the options of SpawnOpt. opts.Func defaults to fn's name.
func (n *Node) SpawnFunc(parent *Proc, opts SpawnOptions, fn any, args ...any) (term.Pid, term.Ref, error) {
	run, err := EntryOnce(fn, args...)
	if err != nil {
		return term.Pid{}, term.Ref{}, err
	}
	if opts.Func == "" {
		opts.Func = FuncName(fn)
	}
	return n.SpawnOpt(parent, opts, run)
}

// FuncName names fn as introspection and crash reports show it: its Go
// name, or "fun" for a function the interpreter made.
func FuncName(fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		return "unknown"
	}
	return pcName(v.Pointer())
}
