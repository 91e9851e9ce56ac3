package eval

import (
	"fmt"
	"reflect"
	"runtime/debug"

	"github.com/petermattis/goid"

	"github.com/gerl-dev/gerl/node/term"
)

// Names the go-statement rewrite (rewrite_go.go) calls at the prompt; the
// shell's built-ins define them. Modules call the gerl API's GoStatement
// and GoStatementSpread (see hotload).
const (
	goFunc       = "__gerl_go"
	goSpreadFunc = "__gerl_go_spread"
)

// GoStatement is what a go statement of interpreted code becomes: it
// starts a goroutine that calls fn with args, which the statement
// evaluated. A panic ends the goroutine with a crash report instead of
// ending the node: a goroutine is not a process (no pid, no mailbox, no
// links), but gerl will not let it take the node down. It is not meant to
// be called directly; spawn processes instead.
func (e *Env) GoStatement(fn any, args ...any) {
	l, _ := e.callerLeader()
	go e.goStatement(l, fn, args, false)
}

// GoStatementSpread is GoStatement for a call whose last argument is
// spread (f(a, xs...)): args ends with the slice.
func (e *Env) GoStatementSpread(fn any, args ...any) {
	l, _ := e.callerLeader()
	go e.goStatement(l, fn, args, true)
}

// goStatement runs on the goroutine of a go statement; it prints where the
// process that started it prints (leader).
func (e *Env) goStatement(leader term.Pid, fn any, args []any, spread bool) {
	if leader != (term.Pid{}) {
		id := goid.Get()
		e.goLeaders.Store(id, leader)
		defer e.goLeaders.Delete(id)
	}
	defer func() {
		if r := recover(); r != nil {
			e.node.Logger().Error("goroutine crashed",
				"func", funcDesc(fn), "reason", term.Format(term.PanicReason(r)), "stack", string(debug.Stack()))
		}
	}()
	callArgs(fn, args, spread)
}

func funcDesc(fn any) string {
	if reflect.ValueOf(fn).Kind() != reflect.Func {
		return fmt.Sprintf("%T", fn)
	}
	return reflect.TypeOf(fn).String()
}

// callArgs calls fn with args, converted to fn's parameter types as the
// compiler would have converted the go statement's untyped constants. With
// spread, the last argument is the slice of a variadic call.
func callArgs(fn any, args []any, spread bool) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		panic(fmt.Errorf("go statement: %T is not a function", fn))
	}
	if v.IsNil() {
		panic(fmt.Errorf("go statement: the function is nil"))
	}
	t := v.Type()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		var pt reflect.Type
		switch {
		case t.IsVariadic() && i >= t.NumIn()-1 && !spread:
			pt = t.In(t.NumIn() - 1).Elem()
		case i < t.NumIn():
			pt = t.In(i)
		default:
			panic(fmt.Errorf("go statement: too many arguments for %s", t))
		}
		in[i] = argValue(a, pt, i)
	}
	if spread {
		v.CallSlice(in)
		return
	}
	v.Call(in)
}

// argValue is a as a value of type t: nil as t's zero value, a number or
// string converted to t's kind of the same family (the untyped constants
// of the statement arrive as int, float64, rune or string).
func argValue(a any, t reflect.Type, i int) reflect.Value {
	if a == nil {
		return reflect.Zero(t)
	}
	v := reflect.ValueOf(a)
	if v.Type().AssignableTo(t) {
		return v
	}
	if sameFamily(v.Kind(), t.Kind()) && v.Type().ConvertibleTo(t) {
		return v.Convert(t)
	}
	panic(fmt.Errorf("go statement: argument %d: cannot use %s as %s", i+1, v.Type(), t))
}

func sameFamily(a, b reflect.Kind) bool {
	family := func(k reflect.Kind) int {
		switch {
		case k >= reflect.Int && k <= reflect.Complex128:
			return 1
		case k == reflect.String:
			return 2
		case k == reflect.Bool:
			return 3
		}
		return 0
	}
	return family(a) != 0 && family(a) == family(b)
}
