// Size checks: Go's runtime ends the whole program, not the goroutine,
// when an allocation cannot be had ("fatal error: runtime: out of
// memory"), so make([]byte, 1<<36) typed at the prompt took the node, its
// processes and its connections down with it. The index rewrite's pass
// (RewriteIndexesMap, which type-checks the source) also puts a check
// around each length and capacity given to the built-in make:
//
//	make([]int64, n)  ->  make([]int64, __gerl_ixMake(int(n), 8))
//
// In a loop, a pre-check in interpreted Go calls it only for a size past
// smallMake (makePreCheck). The check (Env.checkMake) panics with "make: ... more than the node's
// memory limit" when that many elements of that size would pass the
// node's memory limit (-max_memory; the machine's memory without one),
// and otherwise returns n: the process that asked ends with that reason,
// or the prompt says it, and the node lives on. A constant size whose
// allocation is at most smallMake is left alone, as is a make of
// elements of size 0. A size the type check cannot know (an element type
// from an imported package) is checked as if each element took a byte.
// Memory that grows a little at a time (append in a loop) is what
// -max_memory's watch is for.

package eval

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"runtime"
)

// makeSuffix names the size check after the index check: __gerl_ixMake.
const makeSuffix = "Make"

// indexMakeFunc is the size check's name at the prompt.
const indexMakeFunc = indexFunc + makeSuffix

// smallMake is the largest allocation (in bytes) a make of a constant size
// may ask for without a check.
const smallMake = 64 << 20

// MakeError is the panic of a make that asks for more memory than the
// node may use.
type MakeError struct {
	N, Size int    // elements asked for, and the bytes of one
	Limit   uint64 // the node's memory limit
}

func (e *MakeError) Error() string {
	what := fmt.Sprintf("%d elements of %d bytes", e.N, e.Size)
	if e.Size == 1 {
		what = fmt.Sprintf("%d bytes", e.N)
	}
	return fmt.Sprintf("make: %s asked for (%s), more than the node's memory limit of %s (-max_memory)",
		byteSize(float64(e.N)*float64(e.Size)), what, byteSize(float64(e.Limit)))
}

// byteSize writes n bytes for people: 64 GiB, 512 MiB, 100 bytes.
func byteSize(n float64) string {
	for _, u := range []struct {
		unit  string
		bytes float64
	}{{"EiB", 1 << 60}, {"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.bytes {
			return fmt.Sprintf("%.3g %s", n/u.bytes, u.unit)
		}
	}
	return fmt.Sprintf("%.0f bytes", n)
}

// SetMaxAlloc sets the node's memory limit in bytes, which no single make
// in interpreted code may pass (0: no check). gerl sets it to -max_memory,
// or to the machine's memory when -max_memory is 0. Safe for concurrent
// use.
func (e *Env) SetMaxAlloc(bytes uint64) { e.guard.maxAlloc.Store(bytes) }

// checkMake is the size check: it returns n, or panics with a *MakeError
// when n elements of size bytes pass the limit. A negative n is returned
// as it is, for make to report. Safe for concurrent use.
func (e *Env) checkMake(n, size int) int {
	limit := e.guard.maxAlloc.Load()
	if n <= 0 || size <= 0 || limit == 0 || uint64(n) <= limit/uint64(size) {
		return n
	}
	panic(&MakeError{N: n, Size: size, Limit: limit})
}

// makeChecks adds the size checks of the calls of the built-in make in
// u that a loop's pre-check (makePreCheck) did not cover: a call of the
// native check around each size.
func (w *indexWalker) makeChecks() {
	ast.Inspect(w.u.file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		for _, arg := range w.makeSizes(call) {
			if w.makeChecked[arg] {
				continue
			}
			start, end := w.u.off(arg.Pos()), w.u.off(arg.End())
			w.edits = append(w.edits,
				edit{off: start, ins: w.fn + makeSuffix + "(int(", anchor: start},
				edit{off: end, ins: fmt.Sprintf("), %d)", w.makeElem(call)), anchor: end})
		}
		return true
	})
}

// makeSizes are the sizes given to call, if it is the built-in make, that
// need a check: not a constant of at most smallMake bytes, and not of a
// type other than an integer's (make reports those itself).
func (w *indexWalker) makeSizes(call *ast.CallExpr) []ast.Expr {
	if len(call.Args) < 2 || call.Ellipsis.IsValid() {
		return nil
	}
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok || id.Name != "make" {
		return nil
	}
	if obj, known := w.info.Uses[id]; known {
		if _, builtin := obj.(*types.Builtin); !builtin {
			return nil // a make of the user's own
		}
	}
	size := w.makeElem(call)
	if size == 0 {
		return nil
	}
	var out []ast.Expr
	for _, arg := range call.Args[1:] {
		tv := w.info.Types[arg]
		if tv.Value != nil {
			v, exact := constant.Int64Val(constant.ToInt(tv.Value))
			if !exact || v <= smallMake/size {
				continue // small, or not an integer (make says so)
			}
		} else if b, ok := tv.Type.(*types.Basic); tv.Type != nil && (!ok || b.Info()&types.IsInteger == 0) {
			continue
		}
		out = append(out, arg)
	}
	return out
}

// makeElem is the size of what call (a make) makes one of.
func (w *indexWalker) makeElem(call *ast.CallExpr) int64 {
	return elemSize(types.SizesFor("gc", runtime.GOARCH), w.info.Types[call.Args[0]].Type)
}

// makePreCheck is the pre-check, in interpreted Go, of the sizes of make
// in a loop's statement (rewrite_index_loop.go), which calls the native
// check only for a size past smallMake:
//
//	b := make([]byte, n)  ->  if n > 67108864 { __gerl_ixMake(int(n), 1) }; b := make([]byte, n)
//
// It is given under the conditions of an index's pre-check: sizes read
// twice with the same result, no call that could change them first, none
// of their variables assigned by the statement.
func (w *indexWalker) makePreCheck(call *ast.CallExpr, effects []ast.Expr, changed map[string]bool) []string {
	var checks []string
	for _, arg := range w.makeSizes(call) {
		if !pureIndex(w.info, arg) || !w.readFirst(arg, effects, changed) {
			continue
		}
		text, err := oneLine(w.src, w.u, arg)
		if err != nil {
			continue
		}
		size := w.makeElem(call)
		n := text
		if t, ok := w.info.Types[arg].Type.Underlying().(*types.Basic); ok && t.Kind() != types.Int && t.Kind() != types.UntypedInt {
			n = "int64(" + text + ")"
			if t.Info()&types.IsUnsigned != 0 {
				n = "uint64(" + text + ")"
			}
		}
		checks = append(checks, fmt.Sprintf("if %s > %d { %s(int(%s), %d) }", n, smallMake/size, w.fn+makeSuffix, text, size))
		w.makeChecked[arg] = true
	}
	return checks
}

// elemSize is the bytes one element of a slice, channel or map of type t
// takes (a map's key and value), 1 when the type check does not know it.
func elemSize(sizes types.Sizes, t types.Type) (n int64) {
	defer func() {
		if recover() != nil {
			n = 1 // go/types cannot size it (a type parameter)
		}
	}()
	var elems []types.Type
	if t != nil {
		switch t := t.Underlying().(type) {
		case *types.Slice:
			elems = []types.Type{t.Elem()}
		case *types.Chan:
			elems = []types.Type{t.Elem()}
		case *types.Map:
			elems = []types.Type{t.Key(), t.Elem()}
		}
	}
	if len(elems) == 0 {
		return 1
	}
	for _, e := range elems {
		if b, ok := e.Underlying().(*types.Basic); ok && b.Kind() == types.Invalid {
			return 1 // from a package the check does not know
		}
		n += sizes.Sizeof(e)
	}
	return n
}
