// Guards: interpreted code must be stoppable and must not take the node
// down with a runaway recursion. yaegi runs every goroutine's interpreted
// code on its own Go stack, which Go limits to 1 GB with a fatal error
// (the whole node dies), and gives gerl no way to stop one goroutine's
// busy loop (its only stop, the interpreter's run id, stops every
// goroutine that runs its code). RewriteGuardsMap compiles two checks
// into the source:
//
//	func loop(n int) int { return loop(n+1) }
//	  -> func loop(n int) int {__gerl_enter("loop"); return loop(n+1) }
//	for { k++ }
//	  -> for {__gerl_n++; if __gerl_n > 127 { __gerl_n = 0; __gerl_tick() }; k++ }
//
// The entry check (Env.guardEnter) measures the goroutine's stack and ends
// a process that recursed too deep with reason {stack_overflow, "loop"};
// both checks end the goroutine of a process that was killed while it ran.
// Each costs a native call (about 80 ns); a loop pays it once every 128
// iterations and otherwise an increment and a comparison of a local
// counter (measured in docs/performance.md).
//
// A function that calls nothing but Go's built-in functions and
// conversions to predeclared types gets no entry check: it cannot recurse,
// and without a loop it runs in bounded time. Every cycle of calls, and
// every long computation without a loop, goes through functions that do
// get one. Calls into compiled code count as calls, since compiled code
// calls back (fmt.Sprint calls a String method).

package eval

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"
	"strings"
)

// GuardNames are what the guard rewrite calls and declares.
type GuardNames struct {
	// Enter is a func(name string), called on entry to a function that
	// calls others.
	Enter string
	// Tick is a func(), called every GuardTickEvery iterations of a loop.
	Tick string
	// Counter is the local variable that counts a function's loop
	// iterations, declared at the top of each function with a loop.
	Counter string
	// Top is the counter of loops outside any function (statements at the
	// prompt), a global variable the caller declares. Empty: src has no
	// such loops (a file).
	Top string
	// Prefix is put before the names given to Enter ("counter." in module
	// counter).
	Prefix string
	// Safe reports whether a call of the identifier name cannot reach
	// interpreted code (a built-in of the shell that only sends). May be
	// nil.
	Safe func(name string) bool
}

// GuardTickEvery is how many iterations of a loop run between two calls of
// the tick check.
const GuardTickEvery = 128

// RewriteGuardsMap compiles the entry and loop checks into src (shell
// input or a whole file; see the comment at the top of this file) and
// returns the map from offsets in the output back to src. Lines do not
// move. Valid Go without functions that call others and without loops is
// returned unchanged; a syntax error is returned as a *SourceError.
func RewriteGuardsMap(src string, g GuardNames) (string, OffsetMap, error) {
	units, err := parseUnits(src)
	if err != nil {
		return "", OffsetMap{}, err
	}
	w := &guardWalker{src: src, g: g, names: map[*ast.FuncLit]string{}}
	for i := range units {
		u := &units[i]
		w.u = u
		top := &guardFunc{top: true}
		if u.kind == Stmts {
			for _, s := range u.body().List {
				w.walk(s, top)
				if g.Top != "" {
					w.wrapLoop(s)
				}
			}
		} else {
			for _, d := range u.file.Decls {
				w.walk(d, top)
			}
		}
		w.finish(top)
	}
	return applyChecked(src, w.edits, "guards")
}

// guardFunc is a function being walked, or the top level.
type guardFunc struct {
	top   bool
	body  *ast.BlockStmt
	name  string
	calls bool        // calls something that may be interpreted
	backs []token.Pos // the { of loop bodies: where to count
	gotos []*ast.BranchStmt
}

type guardWalker struct {
	src   string
	g     GuardNames
	u     *unit
	names map[*ast.FuncLit]string // literals named by what they are assigned to
	edits []edit
}

// walk visits n as part of fn's body, starting a new guardFunc for each
// function declared or written inside.
func (w *guardWalker) walk(n ast.Node, fn *guardFunc) {
	ast.Inspect(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncDecl:
			if x.Body == nil {
				return false
			}
			inner := &guardFunc{body: x.Body, name: w.g.Prefix + declName(x)}
			w.walk(x.Body, inner)
			w.finish(inner)
			return false
		case *ast.FuncLit:
			inner := &guardFunc{body: x.Body, name: w.litName(x, fn)}
			w.walk(x.Body, inner)
			w.finish(inner)
			return false
		case *ast.AssignStmt:
			if len(x.Lhs) == len(x.Rhs) {
				for i, r := range x.Rhs {
					if lit, ok := r.(*ast.FuncLit); ok {
						if name := exprText(x.Lhs[i]); name != "" && name != "_" {
							w.names[lit] = name
						}
					}
				}
			}
		case *ast.ValueSpec:
			if len(x.Names) == len(x.Values) {
				for i, v := range x.Values {
					if lit, ok := v.(*ast.FuncLit); ok && x.Names[i].Name != "_" {
						w.names[lit] = x.Names[i].Name
					}
				}
			}
		case *ast.KeyValueExpr:
			if lit, ok := x.Value.(*ast.FuncLit); ok {
				if name := exprText(x.Key); name != "" {
					w.names[lit] = name
				}
			}
		case *ast.CallExpr:
			if !w.safeCall(x) {
				fn.calls = true
			}
		case *ast.ForStmt:
			fn.backs = append(fn.backs, x.Body.Lbrace)
		case *ast.RangeStmt:
			fn.backs = append(fn.backs, x.Body.Lbrace)
		case *ast.BranchStmt:
			if x.Tok == token.GOTO {
				fn.gotos = append(fn.gotos, x)
			}
		}
		return true
	})
}

// finish adds fn's checks to the edits.
func (w *guardWalker) finish(fn *guardFunc) {
	counter := w.g.Counter
	if fn.top {
		counter = w.g.Top
		if counter == "" && (len(fn.backs) > 0 || len(fn.gotos) > 0) {
			counter = w.g.Counter // a file has no statements outside functions
		}
	}
	tick := fmt.Sprintf("%s++; if %s > %d { %s = 0; %s() };", counter, counter, GuardTickEvery-1, counter, w.g.Tick)
	for _, pos := range fn.backs {
		off := w.u.off(pos) + 1
		w.edits = append(w.edits, edit{off: off, ins: tick, anchor: off})
	}
	for _, g := range fn.gotos {
		off := w.u.off(g.Pos())
		w.edits = append(w.edits, edit{off: off, ins: tick + " ", anchor: off})
	}
	if fn.top {
		return
	}
	var entry []string
	if fn.calls {
		entry = append(entry, fmt.Sprintf("%s(%s);", w.g.Enter, strconv.Quote(fn.name)))
	}
	if len(fn.backs) > 0 || len(fn.gotos) > 0 {
		entry = append(entry, fmt.Sprintf("var %s int;", counter))
	}
	if len(entry) > 0 {
		off := w.u.off(fn.body.Lbrace) + 1
		w.edits = append(w.edits, edit{off: off, ins: strings.Join(entry, " "), anchor: off})
	}
}

// wrapLoop runs a loop written at the prompt that creates closures in a
// function literal of its own: for ... { spawn(func() {...}) } becomes
// { func() { for ... { spawn(func() {...}) } }() }. At the top level, yaegi
// keeps each closure's value in a slot of the session's global frame and
// gives the next closure a copy of that frame, so every closure the loop
// made stays reachable from the last one for as long as the session lives
// (RELIABILITY 2: 2 KB per spawn, never returned). Inside a function, the
// chain dies with the function's frame. The call is put in a block so that
// it is a statement, not an expression the shell would show the value of. A loop declares nothing visible
// after it, so the wrap changes nothing else; a loop with a goto is left
// alone.
func (w *guardWalker) wrapLoop(s ast.Stmt) {
	inner := s
	if l, ok := s.(*ast.LabeledStmt); ok {
		inner = l.Stmt
	}
	switch inner.(type) {
	case *ast.ForStmt, *ast.RangeStmt:
	default:
		return
	}
	lits, gotos := false, false
	ast.Inspect(s, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			lits = true
		case *ast.BranchStmt:
			gotos = gotos || x.Tok == token.GOTO
		}
		return true
	})
	if !lits || gotos {
		return
	}
	start, end := w.u.off(s.Pos()), w.u.off(s.End())
	w.edits = append(w.edits, edit{off: start, ins: "{ func() { ", anchor: start}, edit{off: end, ins: " }() }", anchor: end})
}

// litName names a function literal for the reports: the variable or field
// it is assigned to, or where it is written.
func (w *guardWalker) litName(lit *ast.FuncLit, outer *guardFunc) string {
	if name, ok := w.names[lit]; ok {
		return w.g.Prefix + name
	}
	line, _ := LineCol(w.src, w.u.off(lit.Pos()))
	if outer.top {
		return fmt.Sprintf("fun at line %d", line)
	}
	return fmt.Sprintf("fun in %s at line %d", outer.name, line)
}

// declName is a declared function's name, with its receiver's type for a
// method: T.M, (*T).M.
func declName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if idx, ok := t.(*ast.IndexExpr); ok {
		t = idx.X
	}
	if star, ok := t.(*ast.StarExpr); ok {
		return "(*" + exprText(star.X) + ")." + fd.Name.Name
	}
	return exprText(t) + "." + fd.Name.Name
}

// exprText is the text of a name, a selector or an index base, or "".
func exprText(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		if base := exprText(x.X); base != "" {
			return base + "." + x.Sel.Name
		}
	case *ast.IndexExpr:
		return exprText(x.X)
	case *ast.IndexListExpr:
		return exprText(x.X)
	case *ast.BasicLit:
		if s, err := strconv.Unquote(x.Value); err == nil {
			return s
		}
	}
	return ""
}

// safeCall reports whether call cannot reach interpreted code: a call of
// one of Go's built-in functions, a conversion to a predeclared type or a
// type literal, or a call the caller says is safe.
func (w *guardWalker) safeCall(call *ast.CallExpr) bool {
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		return isBuiltin(f.Name) || predeclaredType(f.Name) || (w.g.Safe != nil && w.g.Safe(f.Name))
	case *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.InterfaceType:
		return true
	}
	return false
}

func predeclaredType(name string) bool {
	switch name {
	case "bool", "byte", "complex64", "complex128", "error", "float32", "float64",
		"int", "int8", "int16", "int32", "int64", "rune", "string",
		"uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "any":
		return true
	}
	return false
}
