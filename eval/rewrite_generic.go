// Calls of generic functions whose type arguments Go infers. yaegi
// (v0.16.1) infers them by walking the parameters in order and taking the
// types it meets, without unifying: it fails on a type parameter met only
// in a function's parameters or results ("undefined type for U":
// Map(xs, func(x int) string {...})) or in a variadic parameter (Sum(1,
// 2, 3)), and on type parameters that appear in another order than they
// are declared (func Inv[K, V comparable](m map[V]K)). Explicit type
// arguments always worked, so the index pass, which type-checks the input
// with go/types, writes the ones go/types inferred:
//
//	Map(xs, func(x int) string {...})  ->  Map[int, string](xs, func(x int) string {...})
//	Sum(1, 2.5)                        ->  Sum[float64](1, 2.5)
//	Pair[int](1, "a")                  ->  Pair[int, string](1, "a")
//
// A generic function declared by an earlier input is known to the check
// through the session's record of declarations (priorDecls): its
// signature, and the types and constants it and the input use; a
// module's file gets its package's other files the same way
// (RewriteModuleIndexesMap). A call whose type arguments cannot be
// written where it is (a type from a package the check does not know,
// strconv.Itoa's; a type declared in another function) or could be
// wrong (from a variable of the prompt whose type the check knows in
// part, see checkScope) is left to yaegi, whose message then says to
// write them (prepared.located).
//
// yaegi keeps the instances it made of a generic function or type
// (Map[int, string]) when an input declares it again, and would run the
// old body: declaring a generic name again is an error
// (genericRedeclared).

package eval

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// instanceEdits writes the inferred type arguments of the calls of
// generic functions in w's unit.
func (w *indexWalker) instanceEdits() {
	if len(w.info.Instances) == 0 {
		return
	}
	// The explicit type arguments, by the function's identifier.
	type explicit struct {
		n              int
		lbrack, rbrack token.Pos
	}
	given := map[*ast.Ident]explicit{}
	calls := map[*ast.Ident]*ast.CallExpr{}
	ast.Inspect(w.u.file, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			if id := identOf(x.Fun); id != nil {
				calls[id] = x
			}
		case *ast.IndexExpr:
			if id := identOf(x.X); id != nil {
				given[id] = explicit{1, x.Lbrack, x.Rbrack}
			}
		case *ast.IndexListExpr:
			if id := identOf(x.X); id != nil {
				given[id] = explicit{len(x.Indices), x.Lbrack, x.Rbrack}
			}
		}
		return true
	})
	top := w.topValues()
next:
	for id, inst := range w.info.Instances {
		if _, ok := w.info.Uses[id].(*types.Func); !ok || inst.TypeArgs == nil {
			continue // a generic type: its arguments are never inferred
		}
		g := given[id]
		call := calls[id]
		if call != nil && g.n >= inst.TypeArgs.Len() {
			w.ownFunc(call, top) // written in full by the user
		}
		if g.n >= inst.TypeArgs.Len() || call == nil || w.approximate(call) {
			continue
		}
		if g.n == 0 && !inCmp(w.info.Uses[id]) && w.yaegiInfers(call, w.genericDecl(w.info.Uses[id]), inst) {
			// yaegi's own inference gets it right, and it instantiates a
			// function twice in one statement where explicit type
			// arguments fail ("not a generic type"). A function of a
			// standard package assigned at the top level crashes its
			// compiler there all the same ("invalid memory address").
			if _, std := stdPackages().generics[w.info.Uses[id]]; std {
				w.ownFunc(call, top)
			}
			continue
		}
		args := make([]string, inst.TypeArgs.Len())
		for i := range args {
			t := inst.TypeArgs.At(i)
			if !w.writable(t, id.Pos()) {
				continue next
			}
			args[i] = types.TypeString(t, func(*types.Package) string { return "" })
		}
		list := strings.Join(args, ", ")
		w.ownFunc(call, top)
		if g.n == 0 {
			end := w.u.off(id.End())
			w.edits = append(w.edits, edit{off: end, ins: "[" + list + "]", anchor: end})
			continue
		}
		open, close := w.u.off(g.lbrack)+1, w.u.off(g.rbrack)
		w.edits = append(w.edits, edit{off: open, del: close - open, ins: list, anchor: open})
		w.deleted = append(w.deleted, [2]int{open, close})
	}
}

// inCmp reports whether obj is a function of package cmp, whose type
// arguments are always written: yaegi (v0.16.1) infers none of them
// (cmp.Compare(a, b): "undefined type for T"), and takes them written.
func inCmp(obj types.Object) bool {
	return obj != nil && obj.Pkg() != nil && obj.Pkg().Path() == "cmp"
}

// genericDecl is the declaration of the generic function obj: one the
// check saw, or one of the standard packages' (stdPackages); nil if
// neither.
func (w *indexWalker) genericDecl(obj types.Object) *ast.FuncDecl {
	if fd := w.generics[obj]; fd != nil {
		return fd
	}
	return stdPackages().generics[obj]
}

// topValues are the values assigned by the statements of w's unit
// written at the top level of the prompt (x := e, x = e, var x = e),
// with the calls among them.
func (w *indexWalker) topValues() map[*ast.CallExpr]bool {
	top := map[*ast.CallExpr]bool{}
	if w.u.kind != Stmts {
		return top
	}
	add := func(xs []ast.Expr) {
		for _, x := range xs {
			if c, ok := ast.Unparen(x).(*ast.CallExpr); ok {
				top[c] = true
			}
		}
	}
	for _, st := range w.u.body().List {
		switch st := st.(type) {
		case *ast.AssignStmt:
			add(st.Rhs)
		case *ast.DeclStmt:
			if gd, ok := st.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
				for _, spec := range gd.Specs {
					add(spec.(*ast.ValueSpec).Values)
				}
			}
		}
	}
	return top
}

// ownFunc computes call, a generic call whose type arguments are
// written, in a function of its own when it is a value the top level of
// the prompt assigns (top): yaegi cannot compile x := Map[int,
// string](...) there ("not a generic type"), and can x := func() []string
// { return Map[int, string](...) }(). Left as it is when its type cannot
// be written.
func (w *indexWalker) ownFunc(call *ast.CallExpr, top map[*ast.CallExpr]bool) {
	if !top[call] {
		return
	}
	var results []string
	t := w.info.Types[call].Type
	tuple, ok := t.(*types.Tuple)
	if !ok {
		tuple = types.NewTuple(types.NewVar(token.NoPos, nil, "", t))
	}
	for i := range tuple.Len() {
		rt := tuple.At(i).Type()
		if rt == nil || !w.writable(rt, call.Pos()) {
			return
		}
		results = append(results, types.TypeString(rt, func(*types.Package) string { return "" }))
	}
	if len(results) == 0 {
		return
	}
	typ := strings.Join(results, ", ")
	if len(results) > 1 {
		typ = "(" + typ + ")"
	}
	start, end := w.u.off(call.Pos()), w.u.off(call.End())
	w.edits = append(w.edits,
		edit{off: start, ins: "func() " + typ + " { return ", anchor: start},
		edit{off: end, ins: " }()", anchor: end})
}

// noteGenerics records the generic functions file declares (info has
// their definitions).
func (sc *checkScope) noteGenerics(file *ast.File, info *types.Info) {
	for _, d := range file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Type.TypeParams != nil {
			if obj := info.Defs[fd.Name]; obj != nil {
				sc.generics[obj] = fd
			}
		}
	}
}

// yaegiInfers reports whether yaegi (v0.16.1) infers the type arguments
// inst has for call of the generic function fd declares. yaegi walks the
// parameters in order, field by field (a, b T is one field, matched with
// one argument, the field's index), through slices, pointers, channels
// and maps (key, then element), and takes the argument's type at each
// type parameter it meets: the first n of those are the n type
// arguments, in the order the type parameters are declared. A variadic
// parameter and a function type give none. An untyped constant gives its
// default type. Where this cannot tell (a struct, a generic type), it
// reports false: the type arguments are then written.
func (w *indexWalker) yaegiInfers(call *ast.CallExpr, fd *ast.FuncDecl, inst types.Instance) bool {
	obj, ok := w.info.Uses[identOf(call.Fun)].(*types.Func)
	if fd == nil || !ok || call.Ellipsis.IsValid() {
		return false
	}
	sig := obj.Type().(*types.Signature) // the generic signature
	var got []types.Type
	sure := true
	var walk func(param, arg types.Type)
	walk = func(param, arg types.Type) {
		if !sure || len(got) >= inst.TypeArgs.Len() {
			return
		}
		switch p := param.(type) {
		case *types.TypeParam:
			got = append(got, arg)
		case *types.Slice, *types.Pointer, *types.Chan:
			if reflect.TypeOf(arg) == reflect.TypeOf(param) {
				walk(p.(elemType).Elem(), arg.(elemType).Elem())
				return
			}
			sure = !containsTypeParam(p)
		case *types.Map:
			if a, ok := arg.(*types.Map); ok {
				walk(p.Key(), a.Key())
				walk(p.Elem(), a.Elem())
				return
			}
			sure = !containsTypeParam(p)
		case *types.Signature:
			// yaegi's walk of a function type finds none (measured:
			// Map(xs, func(x int) int {...}) fails with "undefined type
			// for U", Ap(func(x int) int {...}, 2) infers T from 2).
		default:
			// A named generic type (*Stack[T]) or a struct: how yaegi
			// walks those is not known here.
			sure = !containsTypeParam(p)
		}
	}
	first := 0 // the signature's index of the field's first parameter
	for i, field := range fd.Type.Params.List {
		names := max(len(field.Names), 1)
		if _, variadic := field.Type.(*ast.Ellipsis); !variadic && i < len(call.Args) && first < sig.Params().Len() {
			arg := call.Args[i]
			tv := w.info.Types[arg]
			at := tv.Type
			if tv.Value != nil {
				at = w.constType(arg)
			}
			if at == nil {
				return false
			}
			walk(sig.Params().At(first).Type(), at)
		}
		first += names
	}
	if !sure || len(got) < inst.TypeArgs.Len() {
		return false
	}
	for k := range inst.TypeArgs.Len() {
		if !types.Identical(got[k], inst.TypeArgs.At(k)) {
			return false
		}
	}
	return true
}

// elemType is a type of elements: a slice, a pointer, a channel.
type elemType interface{ Elem() types.Type }

// identOf is the identifier of a called function, f of f(x), f[T](x) and
// pkg.f(x).
func identOf(x ast.Expr) *ast.Ident {
	x = ast.Unparen(x)
	switch f := x.(type) {
	case *ast.IndexExpr:
		x = f.X
	case *ast.IndexListExpr:
		x = f.X
	}
	if sel, ok := x.(*ast.SelectorExpr); ok {
		return sel.Sel // pkg.F: a function of package slices, maps, cmp
	}
	id, _ := x.(*ast.Ident)
	return id
}

// constType is the type yaegi gives the constant argument arg: a
// literal's or an untyped constant's default type (int, float64,
// string, rune...), a typed constant's type; nil when arg is another
// constant expression (the check has converted it already: what yaegi
// sees is not known here).
func (w *indexWalker) constType(arg ast.Expr) types.Type {
	x := ast.Unparen(arg)
	if u, ok := x.(*ast.UnaryExpr); ok && (u.Op == token.SUB || u.Op == token.ADD) {
		x = ast.Unparen(u.X)
	}
	var untyped types.BasicKind
	switch x := x.(type) {
	case *ast.BasicLit:
		untyped = map[token.Token]types.BasicKind{token.INT: types.UntypedInt, token.FLOAT: types.UntypedFloat,
			token.IMAG: types.UntypedComplex, token.CHAR: types.UntypedRune, token.STRING: types.UntypedString}[x.Kind]
	case *ast.Ident:
		c, ok := w.info.Uses[x].(*types.Const)
		if !ok {
			return nil
		}
		b, ok := c.Type().(*types.Basic)
		if !ok || b.Info()&types.IsUntyped == 0 {
			return c.Type() // a typed constant
		}
		untyped = b.Kind()
	default:
		return nil
	}
	return map[types.BasicKind]types.Type{types.UntypedInt: types.Typ[types.Int], types.UntypedFloat: types.Typ[types.Float64],
		types.UntypedComplex: types.Typ[types.Complex128], types.UntypedRune: types.Typ[types.Int32],
		types.UntypedString: types.Typ[types.String], types.UntypedBool: types.Typ[types.Bool]}[untyped]
}

// containsTypeParam reports whether t is built of a type parameter.
func containsTypeParam(t types.Type) bool {
	if _, ok := t.(*types.TypeParam); ok {
		return true
	}
	return slices.ContainsFunc(typeParts(t), containsTypeParam)
}

// typeParts are the types t is built of, one level down: elements, keys,
// parameters and results, fields, methods and embedded types, type
// arguments.
func typeParts(t types.Type) []types.Type {
	var out []types.Type
	tuple := func(tup *types.Tuple) {
		for i := range tup.Len() {
			out = append(out, tup.At(i).Type())
		}
	}
	switch t := t.(type) {
	case *types.Pointer:
		out = append(out, t.Elem())
	case *types.Slice:
		out = append(out, t.Elem())
	case *types.Array:
		out = append(out, t.Elem())
	case *types.Chan:
		out = append(out, t.Elem())
	case *types.Map:
		out = append(out, t.Key(), t.Elem())
	case *types.Signature:
		tuple(t.Params())
		tuple(t.Results())
	case *types.Struct:
		for i := range t.NumFields() {
			out = append(out, t.Field(i).Type())
		}
	case *types.Interface:
		for i := range t.NumExplicitMethods() {
			out = append(out, t.ExplicitMethod(i).Type())
		}
		for i := range t.NumEmbeddeds() {
			out = append(out, t.EmbeddedType(i))
		}
	case *types.Named:
		for i := range t.TypeArgs().Len() {
			out = append(out, t.TypeArgs().At(i))
		}
	}
	return out
}

// approximate reports whether call's arguments use a variable of the
// prompt whose type the check knows only in part (checkScope): the type
// arguments inferred from it could be wrong.
func (w *indexWalker) approximate(call *ast.CallExpr) bool {
	found := false
	for _, a := range call.Args {
		ast.Inspect(a, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && w.approx[w.info.Uses[id]] {
				found = true
			}
			return !found
		})
	}
	return found
}

// writable reports whether t can be written, bare, at pos: built of
// types the unit's package declares at its top level or in a scope
// around pos, gerl's types the unit sees unqualified, the universe's, and
// type parameters (a call in a generic function infers its own).
func (w *indexWalker) writable(t types.Type, pos token.Pos) bool {
	visible := func(obj types.Object) bool {
		switch {
		case obj.Pkg() == nil: // any, error, comparable
			return true
		case w.checked.Scope().Lookup(obj.Name()) == obj:
			return true
		case obj.Pkg() == w.checked && obj.Parent() != nil && obj.Parent() != w.checked.Scope():
			return obj.Parent().Contains(pos) // a type declared in a function
		}
		return false
	}
	switch t := t.(type) {
	case *types.Basic:
		return t.Kind() != types.Invalid && t.Info()&types.IsUntyped == 0
	case *types.Alias:
		return visible(t.Obj())
	case *types.TypeParam:
		return true
	case *types.Named:
		if !visible(t.Obj()) {
			return false
		}
	case *types.Pointer, *types.Slice, *types.Array, *types.Chan, *types.Map, *types.Signature, *types.Struct, *types.Interface:
	default:
		return false
	}
	for _, part := range typeParts(t) {
		if !w.writable(part, pos) {
			return false
		}
	}
	return true
}

// genericDecl matches the start of a generic function's or type's
// declaration: func Map[, type Stack[T any] (not an array type, type
// Grid [N * 2]int).
var genericDecl = regexp.MustCompile(`^(?:func\s+(\w+)\s*\[|type\s+(\w+)\s*\[\s*\w+(?:\s*,\s*\w+)*\s+[^\]\s+\-*/%&|^<>])`)

// priorDecls is the file of earlier inputs' declarations the check of
// units needs: when units use a generic function an earlier input
// declared, or (std: the source may) one of slices, maps or cmp, the
// declarations (functions without their bodies, types with
// their methods, constants) of the names units use and do not declare,
// and of the names those use, up to maxPriorDecls. nil when units use no
// such function, or the declarations no longer parse.
func priorDecls(units []unit, declsOf func(string) []declSrc, std bool) (*token.FileSet, *ast.File) {
	used := map[string]bool{}
	for i := range units {
		ast.Inspect(units[i].file, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				used[id.Name] = true
			}
			return true
		})
	}
	generic := false
	for name := range used {
		for _, d := range declsOf(name) {
			generic = generic || declaresGeneric(d.src, name)
		}
	}
	for i := 0; std && i < len(units); i++ {
		generic = generic || len(stdUsed(units[i].file)) > 0 // slices.SortFunc(ps, func(x, y P) int {...})
	}
	if !generic {
		return nil, nil
	}
	var todo []string
	for name := range used {
		if !declaresTop(units, name) {
			todo = append(todo, name)
		}
	}
	seen := map[string]bool{}
	var b strings.Builder
	b.WriteString(declPrefix)
	n := 0
	for len(todo) > 0 && n < maxPriorDecls {
		name := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, d := range declsOf(name) {
			if seen[d.src] || n == maxPriorDecls {
				continue
			}
			seen[d.src] = true
			n++
			b.WriteString(d.src)
			b.WriteString("\n")
			for _, u := range d.uses {
				if !declaresTop(units, u) {
					todo = append(todo, u)
				}
			}
		}
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", b.String(), parser.SkipObjectResolution)
	if err != nil {
		return nil, nil
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			fd.Body = nil // the signature is what a call's check needs
		}
	}
	return fset, f
}

// RewriteModuleIndexesMap is RewriteIndexesMap for one file of a module
// whose package has the other files siblings: the check knows their
// functions (without bodies), types and constants, so that a call of a
// generic function another file declares gets its type arguments
// written. A sibling that does not parse is left out.
func RewriteModuleIndexesMap(src, fn string, siblings []string) (string, OffsetMap, error) {
	if !slices.ContainsFunc(siblings, genericFuncInFile.MatchString) {
		siblings = nil // no generic function to call: spare the parses
	}
	decls := map[string][]declSrc{}
	for _, text := range siblings {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "", text, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			var names []string
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					if len(d.Recv.List) != 1 {
						continue
					}
					names = []string{recvTypeName(d.Recv.List[0].Type)}
				} else {
					names = []string{d.Name.Name}
				}
			case *ast.GenDecl:
				if d.Tok != token.TYPE && d.Tok != token.CONST {
					continue
				}
				names = specNames(d)
			}
			uses := map[string]bool{}
			ast.Inspect(d, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					uses[id.Name] = true
				}
				return true
			})
			ds := declSrc{names: names, src: text[fset.Position(d.Pos()).Offset:fset.Position(d.End()).Offset], uses: slices.Sorted(maps.Keys(uses))}
			for _, name := range names {
				decls[name] = append(decls[name], ds)
			}
		}
	}
	return rewriteIndexes(src, fn, promptTypes{decls: func(name string) []declSrc { return decls[name] }})
}

// ExportedGenerics returns the exported generic functions and types the
// files of texts (a module's) declare at package level: hot loading
// compiles them under names of their own, and the prompt, which cannot
// use them, says so (Session.genericOfModule).
func ExportedGenerics(texts map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, text := range texts {
		if !strings.Contains(text, "[") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), "", text, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Type.TypeParams != nil && d.Name.IsExported() {
					out[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					if ts, ok := spec.(*ast.TypeSpec); ok && ts.TypeParams != nil && ts.Name.IsExported() {
						out[ts.Name.Name] = true
					}
				}
			}
		}
	}
	return out
}

// genericOfModule is the error for an input that names an exported
// generic function or type of a module, which the prompt cannot reach
// (a module is a package of values, and a generic function is not one
// until it is instantiated); nil if seg names none.
func (s *Session) genericOfModule(seg Segment) error {
	f, shift := parseSegment(seg)
	if f == nil {
		return nil
	}
	var found error
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok || found != nil {
			return found == nil
		}
		mod, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		files, ok := s.env.moduleSource(mod.Name)
		if !ok || !ExportedGenerics(files)[sel.Sel.Name] {
			return true
		}
		line, col := LineCol(seg.Text, int(sel.Pos())-1-shift)
		found = fmt.Errorf("%d:%d: %s", line, col+seg.yaegiShift()*boolInt(line == 1), ModuleGenericMsg(mod.Name, sel.Sel.Name))
		return false
	})
	return found
}

// ModuleGenericMsg says why the prompt or another module cannot use
// module's generic function or type name.
func ModuleGenericMsg(module, name string) string {
	return fmt.Sprintf("%s.%s is generic, and a module is reached from outside through values: a generic function is a value only once instantiated. Export a function of %s that uses it with the types you need (func MapInts(xs []int, f func(int) int) []int { return Map(xs, f) })", module, name, module)
}

// genericRedeclared is the error for an input that declares again a
// generic function or type an earlier input declared and an input used:
// yaegi keeps the instances it made of the first (Map[int, string]) and
// would run the old body for the same type arguments, silently. nil when
// decls (the input's) redeclare none.
func genericRedeclared(src string, decls []declSrc, declsOf func(string) []declSrc, used func(string) bool) error {
	for _, d := range decls {
		for _, name := range d.names {
			if !declaresGeneric(d.src, name) || !used(name) {
				continue // never used: yaegi made no instance of it
			}
			for _, old := range declsOf(name) {
				if !declaresGeneric(old.src, name) {
					continue
				}
				e := &EvalError{Kind: CompileError, Msg: fmt.Sprintf("%s is generic and an earlier input declared it and used it: the interpreter keeps what it made of the first %s (its instances) and would run its old body, so declare this one under another name", name, name)}
				if loc := regexp.MustCompile(`\b(func|type)\s+` + regexp.QuoteMeta(name) + `\s*\[`).FindStringIndex(src); loc != nil {
					e.Line, e.Col = LineCol(src, loc[0])
				}
				return e
			}
		}
	}
	return nil
}

// genericUses are the generic functions and types src (an input) uses:
// those earlier inputs declared that it names, and those it declares
// that it names again.
func genericUses(src string, decls []declSrc, declsOf func(string) []declSrc) []string {
	own := map[string]bool{}
	for _, d := range decls {
		for _, name := range d.names {
			if declaresGeneric(d.src, name) {
				own[name] = true
			}
		}
	}
	count := map[string]int{}
	for _, t := range scanTokens(src) {
		if t.tok == token.IDENT {
			count[t.lit]++
		}
	}
	var out []string
	for name, n := range count {
		if own[name] {
			if n > 1 {
				out = append(out, name)
			}
			continue
		}
		for _, d := range declsOf(name) {
			if declaresGeneric(d.src, name) {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// declaresGeneric reports whether src, a declaration, declares name as a
// generic function or type.
func declaresGeneric(src, name string) bool {
	m := genericDecl.FindStringSubmatch(src)
	return m != nil && (m[1] == name || m[2] == name)
}

// genericFuncInFile finds a generic function's declaration in a file.
var genericFuncInFile = regexp.MustCompile(`(?m)^func\s+\w+\s*\[`)

// maxPriorDecls bounds the earlier declarations one input's check reads.
const maxPriorDecls = 256
