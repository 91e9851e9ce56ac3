// Loop closures: yaegi v0.16.1 lets closures created in a loop share the
// loop's variables: always those of the loop header (for i := ..., for k, v :=
// range), and some declared in the body (a type switch or select clause
// variable, or any variable captured by a deferred closure). Ten processes
// spawned in a loop all see the last i. A closure rebound inside an
// immediately invoked function gets a frame of its own:
//
//	func() int { return k }  ->  func() func() int { k := k; return func() int { return k } }()
//
// FixLoopClosures finds the literals that need this by resolving every name
// with go/ast scopes, and refuses the cases where a copy would change what the
// program means. A literal that is the function of a go or defer statement is
// bound to a variable first, because yaegi shares the frame of an immediately
// invoked function called from a go or defer statement.

package eval

import (
	"go/ast"
	"go/token"
	"slices"
	"strings"
)

// loopFnName is the variable that holds a rebound go or defer literal.
const loopFnName = "_gerlFn"

// FixLoopClosures rewrites the function literals in src that capture
// variables declared inside a loop, so that each literal created by the
// interpreter keeps its own copy, as in Go 1.22. See FixLoopClosuresMap.
func FixLoopClosures(src string) (out string, changed bool, err error) {
	out, m, err := FixLoopClosuresMap(src)
	if err != nil {
		return "", false, err
	}
	return out, len(m.stages) > 0, nil
}

// FixLoopClosuresMap is FixLoopClosures returning the map from offsets in the
// output back to src.
//
// A literal is rewritten when it refers, from outside itself, to variables
// declared inside a for or for-range statement of the function that directly
// encloses it: the loop's header variables or variables declared in its body
// (in any nested block) before the literal. Exactly those variables are
// rebound. Variables declared outside the loop stay shared (a closure may
// count into an outer counter), and so do constants, types, the literal's
// own parameters and locals, and names that an inner declaration shadows.
// A literal nested in a rewritten one uses its copies and is not rewritten
// for them.
//
// Copying would change the meaning, so FixLoopClosuresMap returns a
// *SourceError instead, when the literal (or one inside it) assigns to such a
// variable or takes its address, when the loop takes its address, or when
// the loop changes it after the literal is created in the same iteration
// (later in the body, or anywhere in an inner loop that also creates the
// literal). Calls of pointer methods and goto are not seen.
//
// Newlines are kept, so line numbers do not move. Valid Go without such a
// literal is returned unchanged. src must be plain Go (see RewriteSend); a
// syntax error is returned as a *SourceError.
func FixLoopClosuresMap(src string) (string, OffsetMap, error) {
	units, err := parseUnits(src)
	if err != nil {
		return "", OffsetMap{}, err
	}
	w := &loopWalker{src: src, goStmt: map[*ast.FuncLit]goCall{}}
	for i := range units {
		w.walkUnit(&units[i])
	}
	var edits []edit
	var first *SourceError
	for _, l := range w.lits {
		e, err := w.rewriteLit(l)
		if err != nil {
			if first == nil || err.Offset < first.Offset {
				first = err
			}
			continue
		}
		edits = append(edits, e...)
	}
	if first != nil {
		return "", OffsetMap{}, first
	}
	return applyChecked(src, edits, "loop closures")
}

// object is a declared name.
type object struct {
	name  string
	isVar bool
	fn    *funcCtx // the function whose frame holds it
	loop  *loopCtx // innermost loop of fn around the declaration, or nil
}

// funcCtx is a function: a literal, a declared function or the top level.
type funcCtx struct {
	lit      *ast.FuncLit // nil unless a literal
	parent   *funcCtx
	unit     *unit
	loop     *loopCtx // for a literal: the loop of parent it is created in
	captured []*object
	top      bool // the top level of a unit of statements (its variables are globals)
	// With loopWalker.free: the variables declared outside the literal
	// that it uses, and the other names (types, constants, functions,
	// packages) it uses from outside, with local set when one is declared
	// inside an enclosing function (see rewrite_fun.go).
	freeVars  []*object
	freeNames []string
	local     []string
}

// loopCtx is a for or range statement.
type loopCtx struct {
	parent *loopCtx // the enclosing loop in the same function
	// Byte ranges of the parts run on one iteration's copy of the variables,
	// in the order Go 1.22 runs them: the post statement (on the copy made
	// for the next iteration), the condition, the body; or empty ranges.
	parts [3][2]int
}

// part returns 1 + the index in l.parts of the part holding offset off, or
// 0 when off is in the init statement or range clause, which run only once
// per variable.
func (l *loopCtx) part(off int) int {
	for i, p := range l.parts {
		if off >= p[0] && off < p[1] {
			return i + 1
		}
	}
	return 0
}

// write is an assignment to, or the address of, a loop variable.
type write struct {
	obj   *object
	off   int // where to report it
	at    int // where it happens: an assignment happens at its end
	addr  bool
	inLit *funcCtx // the literal directly in obj.fn that holds it, or nil
	loop  *loopCtx // the loop around it when inLit is nil
}

type scope struct {
	parent *scope
	names  map[string]*object
}

type loopWalker struct {
	src    string
	u      *unit
	scope  *scope
	fn     *funcCtx
	loop   *loopCtx
	lits   []*funcCtx
	writes []write
	goStmt map[*ast.FuncLit]goCall // literals called by a go or defer statement
	// free makes use record what each literal uses from outside itself
	// (funcCtx.freeVars, freeNames), for the closures that travel
	// (rewrite_fun.go), and the names declared nowhere in the input it
	// walks in unresolved.
	free       bool
	unresolved []string
}

// goCall is a go or defer statement.
type goCall struct {
	stmt    ast.Stmt
	call    *ast.CallExpr
	keyword string
}

func (w *loopWalker) walkUnit(u *unit) {
	w.u = u
	w.open()
	defer w.close()
	if u.kind == Stmts {
		w.fn = &funcCtx{unit: u, top: true}
		w.stmts(u.body().List)
		return
	}
	for _, d := range u.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
			w.fn, w.loop = &funcCtx{unit: u}, nil
			w.open()
			w.recv(fd.Recv)
			w.funcType(fd.Type, true)
			w.stmts(fd.Body.List)
			w.close()
		}
	}
}

func (w *loopWalker) open() { w.scope = &scope{parent: w.scope, names: map[string]*object{}} }

func (w *loopWalker) close() { w.scope = w.scope.parent }

func (w *loopWalker) declare(id *ast.Ident, isVar bool) {
	if id != nil && id.Name != "_" {
		w.scope.names[id.Name] = &object{name: id.Name, isVar: isVar, fn: w.fn, loop: w.loop}
	}
}

func (w *loopWalker) lookup(name string) *object {
	for s := w.scope; s != nil; s = s.parent {
		if o := s.names[name]; o != nil {
			return o
		}
	}
	return nil
}

// litIn returns the literal directly inside obj's function that encloses the
// current position, or nil when the position is in obj's function itself.
func (w *loopWalker) litIn(obj *object) *funcCtx {
	for f := w.fn; f != nil; f = f.parent {
		if f.parent == obj.fn {
			return f
		}
	}
	return nil
}

// use records a reference to a name.
func (w *loopWalker) use(id *ast.Ident) {
	obj := w.lookup(id.Name)
	if w.free {
		w.noteFree(id.Name, obj)
		if obj == nil && !slices.Contains(w.unresolved, id.Name) {
			w.unresolved = append(w.unresolved, id.Name)
		}
	}
	if obj == nil || !obj.isVar || obj.loop == nil || obj.fn == w.fn {
		return
	}
	if l := w.litIn(obj); l != nil && !slices.Contains(l.captured, obj) {
		l.captured = append(l.captured, obj)
	}
}

// assign records a write to the variable at the root of x (x, x.f, x[i]),
// reported at offset off and happening at offset at.
func (w *loopWalker) assign(x ast.Expr, addr bool, off, at int) {
	for {
		switch e := x.(type) {
		case *ast.ParenExpr:
			x = e.X
		case *ast.SelectorExpr:
			x = e.X
		case *ast.IndexExpr:
			x = e.X
		case *ast.Ident:
			obj := w.lookup(e.Name)
			if obj != nil && obj.isVar && obj.loop != nil {
				wr := write{obj: obj, off: off, at: at, addr: addr, inLit: w.litIn(obj)}
				if wr.inLit == nil {
					wr.loop = w.loop
				}
				w.writes = append(w.writes, wr)
			}
			return
		default:
			return
		}
	}
}

func (w *loopWalker) stmts(list []ast.Stmt) {
	for _, s := range list {
		w.stmt(s)
	}
}

func (w *loopWalker) stmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.BlockStmt:
		w.open()
		w.stmts(s.List)
		w.close()
	case *ast.ExprStmt:
		w.expr(s.X)
	case *ast.SendStmt:
		w.expr(s.Chan)
		w.expr(s.Value)
	case *ast.IncDecStmt:
		w.expr(s.X)
		w.assign(s.X, false, w.u.off(s.X.Pos()), w.u.off(s.X.Pos()))
	case *ast.AssignStmt:
		w.assignStmt(s)
	case *ast.GoStmt:
		w.callStmt(goCall{s, s.Call, "go"})
	case *ast.DeferStmt:
		w.callStmt(goCall{s, s.Call, "defer"})
	case *ast.ReturnStmt:
		w.exprs(s.Results)
	case *ast.DeclStmt:
		w.genDecl(s.Decl.(*ast.GenDecl))
	case *ast.LabeledStmt:
		w.stmt(s.Stmt)
	case *ast.IfStmt:
		w.open()
		w.stmt(s.Init)
		w.expr(s.Cond)
		w.stmt(s.Body)
		w.stmt(s.Else)
		w.close()
	case *ast.SwitchStmt:
		w.open()
		w.stmt(s.Init)
		w.expr(s.Tag)
		w.caseClauses(s.Body, nil)
		w.close()
	case *ast.TypeSwitchStmt:
		w.open()
		w.stmt(s.Init)
		var sym *ast.Ident
		switch a := s.Assign.(type) {
		case *ast.AssignStmt:
			sym, _ = a.Lhs[0].(*ast.Ident)
			w.exprs(a.Rhs)
		case *ast.ExprStmt:
			w.expr(a.X)
		}
		w.caseClauses(s.Body, sym)
		w.close()
	case *ast.SelectStmt:
		for _, c := range s.Body.List {
			c := c.(*ast.CommClause)
			w.open()
			w.stmt(c.Comm)
			w.stmts(c.Body)
			w.close()
		}
	case *ast.ForStmt:
		w.open()
		w.loop = &loopCtx{parent: w.loop, parts: [3][2]int{w.u.span(s.Post), w.u.span(s.Cond), w.u.span(s.Body)}}
		w.stmt(s.Init)
		w.expr(s.Cond)
		w.stmt(s.Post)
		w.stmt(s.Body)
		w.loop = w.loop.parent
		w.close()
	case *ast.RangeStmt:
		w.expr(s.X)
		w.open()
		w.loop = &loopCtx{parent: w.loop, parts: [3][2]int{2: w.u.span(s.Body)}}
		for _, x := range []ast.Expr{s.Key, s.Value} {
			if x == nil {
				continue
			}
			if id, ok := x.(*ast.Ident); ok && s.Tok == token.DEFINE {
				w.declare(id, true)
			} else {
				w.expr(x)
				w.assign(x, false, w.u.off(x.Pos()), w.u.off(x.Pos()))
			}
		}
		w.stmt(s.Body)
		w.loop = w.loop.parent
		w.close()
	}
}

// caseClauses walks the clauses of a switch, each in a scope of its own
// that declares sym, the variable of a type switch, if any.
func (w *loopWalker) caseClauses(body *ast.BlockStmt, sym *ast.Ident) {
	for _, c := range body.List {
		c := c.(*ast.CaseClause)
		w.exprs(c.List)
		w.open()
		w.declare(sym, true)
		w.stmts(c.Body)
		w.close()
	}
}

func (w *loopWalker) assignStmt(s *ast.AssignStmt) {
	w.exprs(s.Rhs)
	for _, l := range s.Lhs {
		if id, ok := l.(*ast.Ident); ok && s.Tok == token.DEFINE {
			if _, redeclared := w.scope.names[id.Name]; !redeclared {
				w.declare(id, true)
				continue
			}
		}
		w.expr(l)
		// It changes after the right side (which may create the closure) runs.
		w.assign(l, false, w.u.off(l.Pos()), w.u.off(s.End())-1)
	}
}

// callStmt walks a go or defer statement, noting a literal it calls.
func (w *loopWalker) callStmt(g goCall) {
	if lit, ok := ast.Unparen(g.call.Fun).(*ast.FuncLit); ok {
		w.goStmt[lit] = g
	}
	w.expr(g.call)
}

func (w *loopWalker) genDecl(d *ast.GenDecl) {
	for _, spec := range d.Specs {
		switch sp := spec.(type) {
		case *ast.ValueSpec:
			w.expr(sp.Type)
			w.exprs(sp.Values)
			for _, id := range sp.Names {
				w.declare(id, d.Tok == token.VAR)
			}
		case *ast.TypeSpec:
			w.declare(sp.Name, false)
			if sp.TypeParams == nil {
				w.expr(sp.Type)
				continue
			}
			w.open() // type Stack[T any] struct{ items []T }
			w.typeParams(sp.TypeParams)
			w.expr(sp.Type)
			w.close()
		}
	}
}

func (w *loopWalker) exprs(xs []ast.Expr) {
	for _, x := range xs {
		w.expr(x)
	}
}

func (w *loopWalker) expr(x ast.Expr) {
	if x == nil {
		return
	}
	ast.Inspect(x, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			w.use(n)
		case *ast.SelectorExpr:
			w.expr(n.X)
			return false
		case *ast.FuncLit:
			w.funcLit(n)
			return false
		case *ast.CompositeLit:
			w.compositeLit(n, nil)
			return false
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				w.assign(n.X, true, w.u.off(n.OpPos), w.u.off(n.OpPos))
			}
		case *ast.FuncType:
			w.funcType(n, false)
			return false
		case *ast.StructType:
			w.fields(n.Fields, false)
			return false
		case *ast.InterfaceType:
			w.fields(n.Methods, false)
			return false
		}
		return true
	})
}

// fields walks the types of a field list, declaring the names if asked.
func (w *loopWalker) fields(fl *ast.FieldList, declare bool) {
	if fl == nil {
		return
	}
	for _, f := range fl.List {
		w.expr(f.Type)
	}
	if declare {
		for _, f := range fl.List {
			for _, id := range f.Names {
				w.declare(id, true)
			}
		}
	}
}

// typeParams declares the type parameters of fl, then walks their
// constraints, which may name them ([M ~map[K]V, K comparable, V any]).
func (w *loopWalker) typeParams(fl *ast.FieldList) {
	if fl == nil {
		return
	}
	for _, f := range fl.List {
		for _, id := range f.Names {
			w.declare(id, false)
		}
	}
	w.fields(fl, false)
}

// recv walks a method's receiver: the type parameters its type names
// (func (s *Stack[T]) Push(v T)) are declared first.
func (w *loopWalker) recv(fl *ast.FieldList) {
	if fl != nil && len(fl.List) == 1 {
		x := ast.Unparen(fl.List[0].Type)
		if st, ok := x.(*ast.StarExpr); ok {
			x = ast.Unparen(st.X)
		}
		var params []ast.Expr
		switch ix := x.(type) {
		case *ast.IndexExpr:
			params = []ast.Expr{ix.Index}
		case *ast.IndexListExpr:
			params = ix.Indices
		}
		for _, p := range params {
			if id, ok := p.(*ast.Ident); ok {
				w.declare(id, false)
			}
		}
	}
	w.fields(fl, true)
}

func (w *loopWalker) funcType(t *ast.FuncType, declare bool) {
	if declare {
		w.typeParams(t.TypeParams)
	} else {
		w.fields(t.TypeParams, false)
	}
	w.fields(t.Params, declare)
	w.fields(t.Results, declare)
}

func (w *loopWalker) funcLit(lit *ast.FuncLit) {
	saveFn, saveLoop := w.fn, w.loop
	w.fn = &funcCtx{lit: lit, parent: saveFn, unit: w.u, loop: saveLoop}
	w.lits = append(w.lits, w.fn)
	w.loop = nil
	w.open()
	w.funcType(lit.Type, true)
	w.stmts(lit.Body.List)
	w.close()
	w.fn, w.loop = saveFn, saveLoop
}

// compositeLit walks a composite literal. Its keys are field names unless
// its type (given, or implied by the enclosing literal) is a map, slice or
// array type.
func (w *loopWalker) compositeLit(n *ast.CompositeLit, implied ast.Expr) {
	w.expr(n.Type)
	typ := n.Type
	if typ == nil {
		typ = implied
	}
	var keyType, elemType ast.Expr
	keysAreExprs := false
	switch t := ast.Unparen(typ).(type) {
	case *ast.ArrayType:
		keysAreExprs, elemType = true, t.Elt
	case *ast.MapType:
		keysAreExprs, keyType, elemType = true, t.Key, t.Value
	}
	elem := func(x ast.Expr, implied ast.Expr) {
		if star, ok := implied.(*ast.StarExpr); ok {
			implied = star.X
		}
		if c, ok := x.(*ast.CompositeLit); ok && c.Type == nil {
			w.compositeLit(c, implied)
			return
		}
		w.expr(x)
	}
	for _, e := range n.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			elem(e, elemType)
			continue
		}
		if _, isIdent := kv.Key.(*ast.Ident); keysAreExprs || !isIdent {
			elem(kv.Key, keyType)
		}
		elem(kv.Value, elemType)
	}
}

// rewriteLit returns the edits that give literal l its own copies of the
// loop variables it captures, or the reason it cannot.
func (w *loopWalker) rewriteLit(l *funcCtx) ([]edit, *SourceError) {
	if len(l.captured) == 0 {
		return nil, nil
	}
	u := l.unit
	start, end := u.off(l.lit.Pos()), u.off(l.lit.End())
	line, col := LineCol(w.src, start)
	for _, obj := range l.captured {
		for _, wr := range w.writes {
			if wr.obj != obj {
				continue
			}
			switch {
			case wr.inLit == l:
				verb := "writes"
				if wr.addr {
					verb = "takes the address of"
				}
				return nil, newSourceError(w.src, wr.off, "this closure %s loop variable %s, which the interpreter "+
					"cannot give each iteration its own copy of; pass it as an argument instead (spawn(f, %s)) "+
					"or declare it outside the loop", verb, obj.name, obj.name)
			case wr.inLit != nil:
				// That literal captures obj too, and is refused itself.
			case wr.addr:
				return nil, newSourceError(w.src, wr.off, "this takes the address of loop variable %s, which the "+
					"closure at line %d:%d uses; the interpreter cannot give each iteration its own copy of a "+
					"variable whose address is taken; copy it into a new variable for the closure, or declare it "+
					"outside the loop", obj.name, line, col)
			case after(obj, wr, l, start):
				return nil, newSourceError(w.src, wr.off, "loop variable %s changes here after the closure at "+
					"line %d:%d is created in the same iteration (later in the body, or in an inner loop around "+
					"both); the interpreter cannot give that closure its own copy of %s and still show it the "+
					"change; change %s before creating the closure, or declare it outside the loop",
					obj.name, line, col, obj.name, obj.name)
			}
		}
	}
	typ, err := oneLine(w.src, u, l.lit.Type)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(l.captured))
	for i, o := range l.captured {
		names[i] = o.name
	}
	list := strings.Join(names, ", ")
	edits := []edit{
		{off: start, ins: "func() " + typ + " { " + list + " := " + list + "; return ", anchor: start},
		{off: end, ins: " }()", anchor: end - 1},
	}
	if g, ok := w.goStmt[l.lit]; ok {
		// go f() with f an immediately invoked function would share its
		// frame between iterations: bind it first, as yaegi gets that right.
		from, to, callEnd := u.off(g.stmt.Pos()), u.off(g.call.Fun.Pos()), u.off(g.call.End())
		nl := strings.Repeat("\n", strings.Count(w.src[from:to], "\n"))
		edits = append(edits,
			edit{off: from, del: to - from, ins: "{ " + loopFnName + " := " + nl, anchor: from},
			edit{off: u.off(g.call.Fun.End()), ins: "; " + g.keyword + " " + loopFnName, anchor: from},
			edit{off: callEnd, ins: " }", anchor: callEnd - 1})
	}
	return edits, nil
}

// after reports whether the write wr to obj, made directly in obj's
// function, runs after literal l is created in the same iteration of
// obj's loop: both are in an inner loop, or wr comes later in the iteration.
func after(obj *object, wr write, l *funcCtx, start int) bool {
	outer := map[*loopCtx]bool{}
	for lp := l.loop; lp != nil; lp = lp.parent {
		outer[lp] = true
	}
	for lp := wr.loop; lp != nil; lp = lp.parent {
		if outer[lp] {
			if lp != obj.loop {
				return true
			}
			break
		}
	}
	pw, pl := obj.loop.part(wr.at), obj.loop.part(start)
	if pw == 0 {
		return false
	}
	return pw > pl || pw == pl && wr.at > start
}

// noteFree records, for every literal around the current position that
// the name's declaration (obj; nil when not declared in the input) is
// outside of, that it uses the name from outside.
func (w *loopWalker) noteFree(name string, obj *object) {
	var declFn *funcCtx
	if obj != nil {
		declFn = obj.fn
	}
	for f := w.fn; f != nil && f != declFn && f.lit != nil; f = f.parent {
		switch {
		case obj != nil && obj.isVar:
			if !slices.Contains(f.freeVars, obj) {
				f.freeVars = append(f.freeVars, obj)
			}
		case obj != nil && !obj.fn.top:
			if !slices.Contains(f.local, name) {
				f.local = append(f.local, name)
			}
		default:
			if !slices.Contains(f.freeNames, name) {
				f.freeNames = append(f.freeNames, name)
			}
		}
	}
}
