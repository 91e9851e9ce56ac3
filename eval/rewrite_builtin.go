// Go 1.21's built-in functions min, max and clear, which yaegi (v0.16.1)
// does not know ("undefined: min"). The index pass, which knows the
// types, calls gerl's own instead:
//
//	min(a, b)       ->  __gerl_min(int(a), int(b)).(int)
//	max(s, t)       ->  score(__gerl_max(int(s), int(t)).(int))   (type score int)
//	min(2, 3.5)     ->  2.0                                        (a constant)
//	clear(m)        ->  __gerl_clear(m)
//
// The arguments are converted to the result's underlying type, as Go
// converts them, so that compiled code compares values of one type, with
// Go's own min and max (a NaN wins, -0 is less than 0). A call whose type
// the check does not know (an argument from an imported package) is left
// alone, and the message says how to declare the argument first
// (prepared.located).

package eval

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"reflect"
	"strconv"
	"strings"
)

// Names of the built-ins' stand-ins at the prompt.
const (
	minFunc   = "__gerl_min"
	maxFunc   = "__gerl_max"
	clearFunc = "__gerl_clear"
)

// builtinEdits calls the stand-ins of min, max and clear in w's unit.
func (w *indexWalker) builtinEdits() {
	ast.Inspect(w.u.file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 || call.Ellipsis.IsValid() {
			return true
		}
		id, ok := ast.Unparen(call.Fun).(*ast.Ident)
		if !ok {
			return true
		}
		b, ok := w.info.Uses[id].(*types.Builtin)
		if !ok {
			return true
		}
		start, end := w.u.off(call.Pos()), w.u.off(call.End())
		name := w.u.off(id.Pos())
		switch b.Name() {
		case "clear":
			w.edits = append(w.edits, edit{off: name, del: len("clear"), ins: clearFunc, anchor: name})
		case "min", "max":
			tv := w.info.Types[call]
			if tv.Type == nil {
				return true
			}
			if tv.Value != nil {
				// A constant: Go computes it when it compiles.
				text := tv.Value.ExactString() // an integer, or a quoted string
				if b, ok := tv.Type.Underlying().(*types.Basic); ok && b.Info()&types.IsFloat != 0 {
					f, _ := constant.Float64Val(constant.ToFloat(tv.Value))
					text = strconv.FormatFloat(f, 'g', -1, 64)
					if !strings.ContainsAny(text, ".e") {
						text += ".0" // still a floating-point constant
					}
				}
				if basic, ok := tv.Type.(*types.Basic); !ok || basic.Info()&types.IsUntyped == 0 {
					text = types.TypeString(tv.Type, types.RelativeTo(w.pkg(tv.Type))) + "(" + text + ")"
				}
				w.edits = append(w.edits, edit{off: start, del: end - start, ins: text, anchor: start})
				w.deleted = append(w.deleted, [2]int{start, end})
				return false
			}
			basic, ok := tv.Type.Underlying().(*types.Basic)
			if !ok || basic.Info()&types.IsOrdered == 0 {
				return true
			}
			under := basic.Name()
			outer := ""
			switch t := types.Unalias(tv.Type).(type) {
			case *types.Basic:
			case *types.Named:
				if pkg := t.Obj().Pkg(); pkg == nil || pkg.Path() == GerlPath || t.TypeArgs() != nil {
					return true
				}
				outer = t.Obj().Name()
			default:
				return true
			}
			fn := minFunc
			if b.Name() == "max" {
				fn = maxFunc
			}
			open, closing := "", fmt.Sprintf(".(%s)", under)
			if outer != "" {
				open, closing = outer+"(", closing+")"
			}
			w.edits = append(w.edits,
				edit{off: name, ins: open, anchor: name},
				edit{off: name, del: len(b.Name()), ins: fn, anchor: name},
				edit{off: end, ins: closing, anchor: end})
			for _, a := range call.Args {
				as, ae := w.u.off(a.Pos()), w.u.off(a.End())
				w.edits = append(w.edits, edit{off: as, ins: under + "(", anchor: as}, edit{off: ae, ins: ")", anchor: ae})
			}
		}
		return true
	})
}

// pkg is the package a named type t is declared in (nil for others).
func (w *indexWalker) pkg(t types.Type) *types.Package {
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Pkg()
	}
	return nil
}

// Min is the built-in min for interpreted code: the least of xs, all of
// one ordered basic type (the rewrite converts them).
func Min(xs ...any) any { return extreme(xs, true) }

// Max is the built-in max for interpreted code (see Min).
func Max(xs ...any) any { return extreme(xs, false) }

// extreme is Min (least) or Max.
func extreme(xs []any, least bool) any {
	switch xs[0].(type) {
	case int:
		return pick[int](xs, least)
	case int8:
		return pick[int8](xs, least)
	case int16:
		return pick[int16](xs, least)
	case int32:
		return pick[int32](xs, least)
	case int64:
		return pick[int64](xs, least)
	case uint:
		return pick[uint](xs, least)
	case uint8:
		return pick[uint8](xs, least)
	case uint16:
		return pick[uint16](xs, least)
	case uint32:
		return pick[uint32](xs, least)
	case uint64:
		return pick[uint64](xs, least)
	case uintptr:
		return pick[uintptr](xs, least)
	case float32:
		return pick[float32](xs, least)
	case float64:
		return pick[float64](xs, least)
	case string:
		return pick[string](xs, least)
	}
	panic(fmt.Sprintf("min and max take numbers or strings, not %s", typeText(reflect.TypeOf(xs[0]))))
}

func pick[T cmp.Ordered](xs []any, least bool) any {
	m := xs[0].(T)
	for _, x := range xs[1:] {
		v, ok := x.(T)
		if !ok {
			panic(fmt.Sprintf("min and max take values of one type, not %s and %s", typeText(reflect.TypeOf(xs[0])), typeText(reflect.TypeOf(x))))
		}
		if least {
			m = min(m, v)
		} else {
			m = max(m, v)
		}
	}
	return m
}

// Clear is the built-in clear for interpreted code: it deletes every
// entry of a map, or sets every element of a slice to its zero value.
func Clear(x any) {
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Map, reflect.Slice:
		v.Clear()
	case reflect.Invalid:
	default:
		panic(fmt.Sprintf("clear takes a map or a slice, not %s", typeText(v.Type())))
	}
}
