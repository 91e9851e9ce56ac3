package eval

import (
	"context"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

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
	go e.goStatement(l, "a go statement", fn, args, false)
}

// GoStatementSpread is GoStatement for a call whose last argument is
// spread (f(a, xs...)): args ends with the slice.
func (e *Env) GoStatementSpread(fn any, args ...any) {
	l, _ := e.callerLeader()
	go e.goStatement(l, "a go statement", fn, args, true)
}

// goStatement runs on the goroutine of a go statement (what started it:
// "a go statement", "time.AfterFunc"); it prints where the process that
// started it prints (leader), and a panic there is a crash report, not
// the end of the node.
func (e *Env) goStatement(leader term.Pid, what string, fn any, args []any, spread bool) {
	if leader != (term.Pid{}) {
		id := goid.Get()
		e.goLeaders.Store(id, leader)
		defer e.goLeaders.Delete(id)
	}
	defer func() {
		if r := recover(); r != nil {
			e.node.Logger().Error("goroutine crashed", "of", what,
				"func", funcDesc(fn), "reason", term.Format(term.PanicReason(r)), "stack", string(debug.Stack()))
		}
	}()
	callArgs(fn, args, spread)
}

// StdOverrides returns the functions of the standard library that gerl's
// interpreters (the prompt's, a module's, received code's) use instead of
// Go's: time.Sleep yields to a kill, and at the prompt to Ctrl-C;
// time.AfterFunc and context.AfterFunc run their function as a go
// statement runs one, printing where the caller prints, and a panic there
// is a crash report where Go's own would end the node; log.Fatal,
// log.Fatalf and log.Fatalln end the calling process (or input) as a
// panic with their message does, not the node (a worker's log.Fatal(err),
// common in Go, stopped every process). Its "." entry lists the log
// functions for yaegi's wrappers, as StdlibSymbols does for fmt's.
func (e *Env) StdOverrides() map[string]map[string]reflect.Value {
	fatal := map[string]reflect.Value{
		"Fatal":   reflect.ValueOf(func(v ...any) { panic(fmt.Sprint(v...)) }),
		"Fatalf":  reflect.ValueOf(func(format string, v ...any) { panic(fmt.Sprintf(format, v...)) }),
		"Fatalln": reflect.ValueOf(func(v ...any) { panic(strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }),
	}
	printing := map[reflect.Value][]reflect.Type{}
	for _, f := range fatal {
		printing[f] = printingTypes()
	}
	return map[string]map[string]reflect.Value{
		".":       {"MapTypes": reflect.ValueOf(printing)},
		"log/log": fatal,
		"time/time": {
			"Sleep": reflect.ValueOf(e.timeSleep),
			"AfterFunc": reflect.ValueOf(func(d time.Duration, f func()) *time.Timer {
				l, _ := e.callerLeader()
				return time.AfterFunc(d, func() { e.goStatement(l, "time.AfterFunc", f, nil, false) })
			}),
		},
		"context/context": {
			"AfterFunc": reflect.ValueOf(func(ctx context.Context, f func()) (stop func() bool) {
				l, _ := e.callerLeader()
				return context.AfterFunc(ctx, func() { e.goStatement(l, "context.AfterFunc", f, nil, false) })
			}),
		},
	}
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
