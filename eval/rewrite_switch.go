// Switches on an interface value. yaegi (v0.16.1) converts the tag of a
// switch to each case's type before it compares them, and a tag of an
// interface type cannot be converted: `switch receive() { case
// A("ping"): ... }`, the shape of an Erlang receive, failed with
// "reflect.Value.Convert: value of type interface {} cannot be converted
// to type gerl.Atom". Comparing is what Go's switch does (tag == case), and
// yaegi compares an interface with a value correctly, so the index pass,
// which knows the tag's type, makes such a switch a tagless one:
//
//	switch receive() { case A("ping"), A("hi"): ... }
//	  ->  switch __gerl_sw7 := receive(); { case __gerl_sw7 == A("ping") || __gerl_sw7 == A("hi"): ... }
//	switch m := receive().(Tuple); m[0] { case A("add"): ... }
//	  ->  switch m := receive().(Tuple); { case (m[0]) == A("add"): ... }
//
// yaegi also looks only at the first expression of a tagless switch's
// case list (switch { case a, b: } does not run the case when only b is
// true): its lists are joined by || too.
//
// The tag is evaluated once, before the cases, as Go does, except after
// an init statement (a switch has one), where a tag that can be read
// again with the same result and no effect (variables, fields, indexes,
// arithmetic) is read by each case; any other tag there is left alone.

package eval

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
)

// switchEdits rewrites the switches on interface values of w's unit.
func (w *indexWalker) switchEdits() {
	ast.Inspect(w.u.file, func(n ast.Node) bool {
		sw, ok := n.(*ast.SwitchStmt)
		if !ok {
			return true
		}
		if sw.Tag == nil {
			w.orCases(sw, "")
			return true
		}
		if !w.interfaceTyped(sw.Tag) {
			return true
		}
		cases := false
		for _, c := range sw.Body.List {
			if cc, ok := c.(*ast.CaseClause); ok && len(cc.List) > 0 {
				cases = true
			}
		}
		if !cases {
			return true
		}
		tagStart, tagEnd := w.u.off(sw.Tag.Pos()), w.u.off(sw.Tag.End())
		var name string
		switch {
		case sw.Init == nil:
			name = fmt.Sprintf("__gerl_sw%d", w.u.off(sw.Switch))
			w.edits = append(w.edits,
				edit{off: tagStart, ins: name + " := ", anchor: tagStart},
				edit{off: tagEnd, ins: ";", anchor: tagEnd})
		case readTwice(sw.Tag):
			name = w.src[tagStart:tagEnd]
			if _, ok := sw.Tag.(*ast.Ident); !ok {
				name = "(" + name + ")"
			}
			gone := tagEnd
			if gone < len(w.src) && w.src[gone] == ' ' {
				gone++
			}
			w.edits = append(w.edits, edit{off: tagStart, del: gone - tagStart, anchor: tagStart})
			w.deleted = append(w.deleted, [2]int{tagStart, gone})
		default:
			return true
		}
		w.orCases(sw, name)
		return true
	})
}

// orCases makes each case of sw one expression, its list joined by ||
// (yaegi looks only at the first of a tagless case's list: case false,
// true did not match), comparing each with name when there is one:
// case a, b -> case name == a || name == b. A constant is not put in
// parentheses: yaegi compares name == (1) wrongly.
func (w *indexWalker) orCases(sw *ast.SwitchStmt, name string) {
	for _, c := range sw.Body.List {
		cc, ok := c.(*ast.CaseClause)
		if !ok || name == "" && len(cc.List) < 2 {
			continue
		}
		for k, e := range cc.List {
			start, end := w.u.off(e.Pos()), w.u.off(e.End())
			if name != "" {
				if b, ok := e.(*ast.BinaryExpr); ok && b.Op.Precedence() <= token.EQL.Precedence() {
					w.edits = append(w.edits, edit{off: start, ins: name + " == (", anchor: start}, edit{off: end, ins: ")", anchor: end})
				} else {
					w.edits = append(w.edits, edit{off: start, ins: name + " == ", anchor: start})
				}
			}
			if k+1 < len(cc.List) {
				next := w.u.off(cc.List[k+1].Pos())
				w.edits = append(w.edits, edit{off: end, del: next - end, ins: " || ", anchor: end})
			}
		}
	}
}

// interfaceTyped reports whether the type check knows x to be of an
// interface type (not a type parameter).
func (w *indexWalker) interfaceTyped(x ast.Expr) bool {
	tv, ok := w.info.Types[x]
	if !ok || tv.Type == nil {
		return false
	}
	if _, param := tv.Type.(*types.TypeParam); param {
		return false
	}
	return types.IsInterface(tv.Type)
}

// readTwice reports whether x reads the same twice and does nothing else:
// variables, constants, fields, indexes and dereferences of those,
// arithmetic and comparisons of them. (An index may panic: the first case
// reads it where the switch would have.)
func readTwice(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident, *ast.BasicLit:
		return true
	case *ast.SelectorExpr:
		return readTwice(x.X)
	case *ast.ParenExpr:
		return readTwice(x.X)
	case *ast.IndexExpr:
		return readTwice(x.X) && readTwice(x.Index)
	case *ast.StarExpr:
		return readTwice(x.X)
	case *ast.UnaryExpr:
		return x.Op != token.ARROW && readTwice(x.X)
	case *ast.BinaryExpr:
		return readTwice(x.X) && readTwice(x.Y)
	}
	return false
}

// dropDeleted removes from edits those inside a range the switch rewrite
// deleted (a tag read by each case from its source text): applyEdits
// takes no overlapping edits.
func dropDeleted(edits []edit, deleted [][2]int) []edit {
	if len(deleted) == 0 {
		return edits
	}
	out := edits[:0]
	for _, e := range edits {
		inside := false
		for _, d := range deleted {
			if e.off >= d[0] && e.off < d[1] && !(e.off == d[0] && e.del == d[1]-d[0]) {
				inside = true
			}
		}
		if !inside {
			out = append(out, e)
		}
	}
	return out
}
