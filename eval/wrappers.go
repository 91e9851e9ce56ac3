package eval

import (
	"errors"
	"fmt"
	"log"
	"maps"
	"reflect"
	"strings"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// Interpreted methods in compiled code. A type declared at the prompt or
// in a module has its methods in the interpreter: compiled code sees them
// only through a wrapper yaegi (v0.16.1) makes, a struct holding the
// value (its field IValue) and the methods as functions, where the
// parameter's type is an interface the value implements. For fmt's print
// functions, whose parameters are any, yaegi wraps for the interfaces
// its table lists for them, fmt.Formatter and fmt.Stringer, and not
// error: an error type declared at the prompt printed as a struct
// (fmt.Println(e) gave "{}", Go gives e.Error()), and fmt.Errorf("%w",
// e) could not wrap it ("%!w(*struct {...})"). And compiled errors.As
// cannot match a target whose type is interpreted (it panicked: "errors:
// *target must be interface or implement error"), nor errors.Is see
// through wrappers.
//
// StdlibSymbols gives the interpreters gerl makes (the prompt's, a
// module's, received code's) the standard library with error in that
// table, in the order fmt looks (Formatter, then error, then Stringer),
// and errors.As and errors.Is that compare an interpreted value with the
// value a wrapper holds.

// StdlibSymbols returns the standard library's symbols for yaegi's Use,
// as gerl's interpreters take them (see above). The table must come in
// the same Use as package fmt: yaegi copies it then to the print
// functions it redirects to the interpreter's output.
func StdlibSymbols() yaegi.Exports {
	out := maps.Clone(stdlib.Symbols)
	table := maps.Clone(stdlib.Symbols["."]["MapTypes"].Interface().(map[reflect.Value][]reflect.Type))
	printing := printingTypes()
	for _, f := range []any{fmt.Errorf, fmt.Fprint, fmt.Fprintf, fmt.Fprintln, fmt.Print, fmt.Printf,
		fmt.Println, fmt.Sprint, fmt.Sprintf, fmt.Sprintln, fmt.Append, fmt.Appendf, fmt.Appendln,
		log.Fatal, log.Fatalf, log.Fatalln, log.Panic, log.Panicf, log.Panicln, log.Print, log.Printf, log.Println} {
		table[reflect.ValueOf(f)] = printing
	}
	// Its variadic parameter of type error gets no wrapper otherwise
	// ("cannot use struct {} as type error").
	table[reflect.ValueOf(errors.Join)] = []reflect.Type{errorType}
	out["."] = map[string]reflect.Value{"MapTypes": reflect.ValueOf(table)}
	errs := maps.Clone(stdlib.Symbols["errors/errors"])
	errs["As"], errs["Is"] = reflect.ValueOf(errorsAs), reflect.ValueOf(errorsIs)
	out["errors/errors"] = errs
	return out
}

// printingTypes are the interfaces fmt's print functions look for, in
// fmt's order: the wrappers yaegi makes for their arguments have the
// first one an interpreted value implements.
func printingTypes() []reflect.Type {
	return []reflect.Type{
		reflect.TypeFor[fmt.Formatter](),
		reflect.TypeFor[error](),
		reflect.TypeFor[fmt.Stringer](),
	}
}

// yaegiModule starts the import paths of yaegi's packages, where its
// wrappers are declared (interp._error, stdlib._fmt_Stringer).
const yaegiModule = "github.com/traefik/yaegi/"

// errorType is the type error.
var errorType = reflect.TypeFor[error]()

// interpreted returns the value the yaegi wrapper v holds, and false
// when v is not one.
func interpreted(v any) (any, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct || !strings.HasPrefix(rv.Type().PkgPath(), yaegiModule) {
		return nil, false
	}
	if f := rv.FieldByName("IValue"); f.IsValid() && f.CanInterface() {
		return f.Interface(), true
	}
	return nil, false
}

// unwrapped is the value an error stands for: the one its yaegi
// wrapper holds, or itself.
func unwrapped(e error) any {
	if v, ok := interpreted(e); ok {
		return v
	}
	return e
}

// errorsAs is errors.As for interpreted code: a target of a type the
// interpreter declared is matched against the values the chain's
// wrappers hold. Others go to errors.As.
func errorsAs(err error, target any) bool {
	val := reflect.ValueOf(target)
	if target == nil || val.Kind() != reflect.Pointer || val.IsNil() {
		return errors.As(err, target) // errors.As's own panic
	}
	want := val.Type().Elem()
	if want.Kind() == reflect.Interface || want.Implements(errorType) {
		return errors.As(err, target)
	}
	found := false
	walkErrors(err, func(e error) bool {
		if v := unwrapped(e); v != nil && reflect.TypeOf(v) == want {
			val.Elem().Set(reflect.ValueOf(v))
			found = true
		}
		return found
	})
	return found
}

// errorsIs is errors.Is for interpreted code: an error the interpreter
// wrapped is compared by the value it holds.
func errorsIs(err, target error) bool {
	if errors.Is(err, target) {
		return true
	}
	t, ok := interpreted(target)
	if !ok || t == nil || !reflect.TypeOf(t).Comparable() {
		return false
	}
	found := false
	walkErrors(err, func(e error) bool {
		v := unwrapped(e)
		found = v != nil && reflect.TypeOf(v) == reflect.TypeOf(t) && v == t
		return found
	})
	return found
}

// walkErrors calls f with err and the errors it wraps, depth first, as
// errors.As walks them, until f returns true.
func walkErrors(err error, f func(error) bool) bool {
	for depth := 0; err != nil && depth < 100; depth++ {
		if f(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if walkErrors(e, f) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
