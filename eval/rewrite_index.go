// Index checks: yaegi indexes slices, arrays and strings through the
// reflect package, whose panic says "slice index out of range" and
// nothing more; compiled Go would say which index and which length.
// RewriteIndexesMap type-checks the source (go/types, what it can: the
// input's own declarations, the prompt's variables, and gerl's Tuple) and,
// where an index expression reads a slice, an array or a string, checks
// the index itself:
//
//	s[i]  ->  s[__gerl_ix(int(i), len(s), 0)]
//
// The check panics with "index 5 out of range for a slice of length 3"
// ("for a tuple" for a Tuple). It is a native call, about 0.5 µs through
// yaegi (docs/performance.md): code that runs once per input or per
// function call gets it; the inside of a loop, which would run several
// times slower, gets a cheaper check in interpreted Go before the
// statement (rewrite_index_loop.go). The element of a Tuple that is not
// a plain variable (receive().(Tuple)[3]) is read by TupleElem, which
// evaluates the Tuple once. An index into an array by a constant (Go
// checks it when it compiles), another operand that is not a plain
// variable (it would be evaluated twice), and everything whose type the
// check cannot know (a value from an imported package) are left as they
// are, with yaegi's message.

package eval

import (
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"strings"

	"github.com/gerl-dev/gerl/node/term"
)

// Index kinds, the third argument of the index check.
const (
	indexSlice = iota
	indexArray
	indexString
	indexTuple
)

// indexFunc is the index check's name at the prompt, indexTupleFunc
// TupleElem's.
const (
	indexFunc      = "__gerl_ix"
	indexTupleFunc = indexFunc + tupleSuffix
)

// IndexError is the panic of an index out of range in interpreted code.
type IndexError struct {
	Index, Len int
	Kind       string // "slice", "array", "string" or "tuple"
}

func (e *IndexError) Error() string {
	article := "a"
	if e.Kind == "array" {
		article = "an"
	}
	return fmt.Sprintf("index %d out of range for %s %s of length %d", e.Index, article, e.Kind, e.Len)
}

// CheckIndex is the index check: it returns i, or panics with an
// *IndexError when i is not an index of a sequence of length n (kind 0: a
// slice, 1: an array, 2: a string, 3: a Tuple). Safe for concurrent use.
func CheckIndex(i, n, kind int) int {
	if uint(i) < uint(n) {
		return i
	}
	what := "slice"
	switch kind {
	case indexArray:
		what = "array"
	case indexString:
		what = "string"
	case indexTuple:
		what = "tuple"
	}
	panic(&IndexError{Index: i, Len: n, Kind: what})
}

// TupleElem is the index check of a Tuple that is not a plain variable
// (receive().(Tuple)[3]): it returns t[i], or panics with an *IndexError.
// The rewrite calls it as fn+"Tuple". Safe for concurrent use.
func TupleElem(t term.Tuple, i int) any {
	return t[CheckIndex(i, len(t), indexTuple)]
}

// tupleSuffix names TupleElem after the index check: __gerl_ixTuple.
const tupleSuffix = "Tuple"

// RewriteIndexesMap compiles the index check fn into src (shell input or a
// whole file) where it is needed (see the top of this file), and returns
// the map from offsets in the output back to src; the element of a Tuple
// that is not a plain variable is read by fn+"Tuple" (TupleElem) instead.
// globalType, if not nil, gives the type of a variable of the prompt that
// src does not declare (nil: unknown). A syntax error is returned as a
// *SourceError.
func RewriteIndexesMap(src, fn string, globalType func(name string) reflect.Type) (string, OffsetMap, error) {
	return rewriteIndexes(src, fn, promptTypes{global: globalType})
}

// rewriteIndexes is RewriteIndexesMap with what the check knows of the
// prompt.
func rewriteIndexes(src, fn string, pt promptTypes) (string, OffsetMap, error) {
	var edits []edit
	err := eachChecked(src, pt, func(u *unit, info *types.Info, sc *checkScope) {
		edits = append(edits, indexEdits(src, fn, u, info, sc)...)
	})
	if err != nil {
		return "", OffsetMap{}, err
	}
	return applyChecked(src, edits, "index expressions")
}

// promptTypes is what the type check knows of the prompt beyond the
// input; its zero value knows nothing (a module's file).
type promptTypes struct {
	// global gives the type of a variable of the prompt that the input
	// does not declare (nil: unknown), as for RewriteIndexesMap.
	global func(name string) reflect.Type
	// decls gives the declarations of name earlier inputs made, for the
	// calls of generic functions they declared (rewrite_generic.go).
	decls func(name string) []declSrc
}

// checkScope is what a unit was checked in: the package, and which of
// its variables are the prompt's with a type the check knows only in part
// (declareGlobals).
type checkScope struct {
	pkg *types.Package
	// approx are the prompt's variables whose type holds a named type of
	// a package the check does not know (a time.Duration, a gerl.Atom),
	// given as its underlying type: right for an index check, wrong for
	// a type argument written out.
	approx map[types.Object]bool
	// generics are the declarations of the generic functions the check
	// saw (rewrite_generic.go).
	generics map[types.Object]*ast.FuncDecl
}

// eachChecked parses src into units and calls do with each unit that
// type-checks (what go/types can: see typeCheck), its types and the
// scope it was checked in, in order. A syntax error is returned as a
// *SourceError.
func eachChecked(src string, pt promptTypes, do func(u *unit, info *types.Info, sc *checkScope)) error {
	units, err := parseUnits(src)
	if err != nil {
		return err
	}
	name := "p"
	if len(units) > 0 && units[0].file.Name != nil {
		name = units[0].file.Name.Name // a whole file's package clause
	}
	pkg := types.NewPackage(name, name)
	gerl := gerlPackage()
	var prior []unit // earlier inputs' declarations the input needs
	if pt.decls != nil {
		if fset, f := priorDecls(units, pt.decls, mayUseStd.MatchString(src)); f != nil {
			f.Name.Name = name // go/types ignores a file of another package
			prior = []unit{{kind: Decl, fset: fset, file: f}}
		}
	}
	declareTermTypes(pkg, append(prior, units...), gerl)
	sc := &checkScope{pkg: pkg, generics: map[types.Object]*ast.FuncDecl{}}
	if prior != nil {
		info := &types.Info{Defs: map[*ast.Ident]types.Object{}}
		typeCheck(pkg, gerl, &prior[0], info)
		sc.noteGenerics(prior[0].file, info)
	}
	if pt.global != nil {
		sc.approx = declareGlobals(pkg, units, gerl, pt.global)
	}
	if strings.Contains(src, funFunc) {
		// A module's literals are tagged before this pass: their tag's
		// assertion gives them their type again.
		anyT := types.NewInterfaceType(nil, nil)
		params := types.NewTuple(types.NewParam(token.NoPos, pkg, "", anyT), types.NewParam(token.NoPos, pkg, "", types.Typ[types.Int]),
			types.NewParam(token.NoPos, pkg, "", types.NewSlice(anyT)))
		sig := types.NewSignatureType(nil, nil, nil, params, types.NewTuple(types.NewParam(token.NoPos, pkg, "", anyT)), true)
		pkg.Scope().Insert(types.NewFunc(token.NoPos, pkg, funFunc, sig))
	}
	for i := range units {
		u := &units[i]
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{},
			Defs: map[*ast.Ident]types.Object{}, Scopes: map[ast.Node]*types.Scope{},
			Instances: map[*ast.Ident]types.Instance{}}
		if mayUseStd.MatchString(src) {
			addStdImports(u, pkg)
		}
		if !typeCheck(pkg, gerl, u, info) {
			continue
		}
		sc.noteGenerics(u.file, info)
		do(u, info, sc)
		if u.kind == Stmts {
			// The prompt's statements declare its variables: later units
			// see them.
			if sc := info.Scopes[u.file.Decls[0].(*ast.FuncDecl).Type]; sc != nil {
				for _, name := range sc.Names() {
					if pkg.Scope().Lookup(name) == nil {
						pkg.Scope().Insert(sc.Lookup(name))
					}
				}
			}
		}
	}
	return nil
}

// typeCheck checks u's types into info, with the declarations in pkg. It
// reports false if go/types gave up (it panics on some inputs that are
// not Go yet, such as a method of a type declared by an earlier input).
func typeCheck(pkg, gerl *types.Package, u *unit, info *types.Info) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	conf := types.Config{Error: func(error) {}, Importer: gerlImporter{gerl}}
	_ = types.NewChecker(&conf, u.fset, pkg, info).Files([]*ast.File{u.file})
	return true
}

// gerlImporter knows the package gerl (its types users index, see
// gerlPackage), and cmp, slices and maps (the generic functions the
// interpreter runs from source, stdgeneric.go), and no other: what comes
// from another has no type, and its index expressions are left alone.
type gerlImporter struct{ gerl *types.Package }

func (im gerlImporter) Import(path string) (*types.Package, error) {
	if path == GerlPath {
		return im.gerl, nil
	}
	if pkg, ok := stdPackages().pkgs[path]; ok {
		return pkg, nil // cmp, slices, maps: their generic functions
	}
	return nil, errors.New("not imported")
}

// gerlPackage is package gerl as the index checks know it: its types the
// prompt and modules use (termTypes), Tuple a slice of any, Atom a string,
// and the others structs whose fields the check does not know (their
// fields and methods are left unchecked, as an unknown type's).
func gerlPackage() *types.Package {
	pkg := types.NewPackage(GerlPath, "gerl")
	for name, v := range termTypes() {
		if v.Kind() != reflect.Pointer || !v.IsNil() {
			continue // a function or a value, not a type
		}
		var under types.Type = types.NewStruct(nil, nil)
		switch v.Type().Elem().Kind() {
		case reflect.Slice:
			under = types.NewSlice(types.NewInterfaceType(nil, nil))
		case reflect.String:
			under = types.Typ[types.String]
		}
		tn := types.NewTypeName(token.NoPos, pkg, name, nil)
		types.NewNamed(tn, under, nil)
		pkg.Scope().Insert(tn)
	}
	pkg.MarkComplete()
	return pkg
}

// gerlType is t's type in package gerl (gerlPackage), nil if t is not
// one of its types.
func gerlType(t reflect.Type, gerl *types.Package) types.Type {
	if name := gerlTypeName(t); name != "" {
		return gerl.Scope().Lookup(name).Type()
	}
	return nil
}

// gerlTypeName is the name of t in package gerl, "" if t is not one of
// its types.
func gerlTypeName(t reflect.Type) string {
	for name, v := range termTypes() {
		if v.Kind() == reflect.Pointer && v.IsNil() && v.Type().Elem() == t {
			return name
		}
	}
	return ""
}

// declareTermTypes declares in pkg the types of gerl the prompt and a
// module use unqualified (Tuple), unless the source declares its own.
func declareTermTypes(pkg *types.Package, units []unit, gerl *types.Package) {
	for _, name := range gerl.Scope().Names() {
		if pkg.Scope().Lookup(name) != nil || declaresTop(units, name) {
			continue
		}
		pkg.Scope().Insert(gerl.Scope().Lookup(name))
	}
}

// declaresTop reports whether one of units declares name at its top
// level.
func declaresTop(units []unit, name string) bool {
	for i := range units {
		for _, d := range units[i].file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.Name == name {
					return true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.Name == name {
							return true
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.Name == name {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}

// declareGlobals declares in pkg the prompt's variables units use, with
// the types of their values where those are slices, arrays, strings or
// built of them. It returns those whose type is approximate (see
// checkScope).
func declareGlobals(pkg *types.Package, units []unit, gerl *types.Package, globalType func(string) reflect.Type) map[types.Object]bool {
	seen := map[string]bool{}
	approx := map[types.Object]bool{}
	for i := range units {
		ast.Inspect(units[i].file, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok || seen[id.Name] || id.Name == "_" {
				return true
			}
			seen[id.Name] = true
			if pkg.Scope().Lookup(id.Name) != nil {
				return true // an earlier input's declaration
			}
			rt := globalType(id.Name)
			if t := typeOfReflect(rt, gerl); t != nil {
				v := types.NewVar(token.NoPos, pkg, id.Name, t)
				pkg.Scope().Insert(v)
				if namesOther(rt) {
					approx[v] = true
				}
			}
			return true
		})
	}
	return approx
}

// namesOther reports whether t is built of a named type that
// typeOfReflect gives as its underlying type: any but gerl's Tuple and
// Go's predeclared types.
func namesOther(t reflect.Type) bool {
	if t.Name() != "" && t.PkgPath() != "" {
		return gerlTypeName(t) == ""
	}
	switch t.Kind() {
	case reflect.Map:
		return namesOther(t.Key()) || namesOther(t.Elem())
	case reflect.Chan, reflect.Slice, reflect.Array, reflect.Pointer:
		return namesOther(t.Elem())
	case reflect.Func:
		for i := range t.NumIn() {
			if namesOther(t.In(i)) {
				return true
			}
		}
		for i := range t.NumOut() {
			if namesOther(t.Out(i)) {
				return true
			}
		}
	}
	return false
}

// typeOfReflect is t as go/types knows it, for the types an index check
// can use (gerl's from package gerl); nil for the others.
func typeOfReflect(t reflect.Type, gerl *types.Package) types.Type {
	if t == nil {
		return nil
	}
	if g := gerlType(t, gerl); g != nil {
		return g
	}
	basic := map[reflect.Kind]types.BasicKind{
		reflect.Bool: types.Bool, reflect.Int: types.Int, reflect.Int8: types.Int8, reflect.Int16: types.Int16,
		reflect.Int32: types.Int32, reflect.Int64: types.Int64, reflect.Uint: types.Uint, reflect.Uint8: types.Uint8,
		reflect.Uint16: types.Uint16, reflect.Uint32: types.Uint32, reflect.Uint64: types.Uint64,
		reflect.Float32: types.Float32, reflect.Float64: types.Float64, reflect.String: types.String,
	}
	if k, ok := basic[t.Kind()]; ok {
		return types.Typ[k]
	}
	switch t.Kind() {
	case reflect.Map:
		k, e := typeOfReflect(t.Key(), gerl), typeOfReflect(t.Elem(), gerl)
		if k != nil && e != nil {
			return types.NewMap(k, e)
		}
	case reflect.Chan:
		if e := typeOfReflect(t.Elem(), gerl); e != nil {
			dir := map[reflect.ChanDir]types.ChanDir{reflect.BothDir: types.SendRecv, reflect.SendDir: types.SendOnly, reflect.RecvDir: types.RecvOnly}[t.ChanDir()]
			return types.NewChan(dir, e)
		}
	case reflect.Slice:
		if e := typeOfReflect(t.Elem(), gerl); e != nil {
			return types.NewSlice(e)
		}
	case reflect.Array:
		if e := typeOfReflect(t.Elem(), gerl); e != nil {
			return types.NewArray(e, int64(t.Len()))
		}
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return types.NewInterfaceType(nil, nil)
		}
		if t == errorType {
			return types.Universe.Lookup("error").Type()
		}
	case reflect.Func:
		// The parameters if all are known, else any arguments; the
		// results as far as they are known, the others any: enough for
		// receive().(Tuple) to have a type, and for a function of the
		// prompt passed to a generic one (Map(xs, f)).
		anyType := types.NewInterfaceType(nil, nil)
		params := types.NewTuple(types.NewParam(token.NoPos, nil, "", types.NewSlice(anyType)))
		variadic := true
		var in []*types.Var
		for i := range t.NumIn() {
			p := typeOfReflect(t.In(i), gerl)
			if p == nil {
				break
			}
			in = append(in, types.NewParam(token.NoPos, nil, "", p))
		}
		if len(in) == t.NumIn() {
			params, variadic = types.NewTuple(in...), t.IsVariadic()
		}
		var results []*types.Var
		for i := range t.NumOut() {
			r := typeOfReflect(t.Out(i), gerl)
			if r == nil {
				r = anyType
			}
			results = append(results, types.NewParam(token.NoPos, nil, "", r))
		}
		return types.NewSignatureType(nil, nil, nil, params, types.NewTuple(results...), variadic)
	}
	return nil
}

// indexEdits are the index checks unit u needs: the call in what runs
// once per input or per call, the statement's pre-check in a loop's body
// (rewrite_index_loop.go); the size checks of make (rewrite_make.go); and
// what yaegi cannot run as Go does: range loops over integers
// (rewrite_range.go), switches on interface values (rewrite_switch.go),
// min, max and clear (rewrite_builtin.go), comma-ok pairs outside
// functions (rewrite_commaok.go), values made into errors
// (rewrite_error.go).
func indexEdits(src, fn string, u *unit, info *types.Info, sc *checkScope) []edit {
	w := &indexWalker{src: src, fn: fn, u: u, info: info, checked: sc.pkg, approx: sc.approx, generics: sc.generics, makeChecked: map[ast.Expr]bool{}}
	w.changes, w.funcLits, w.lvalues = changesIn(u.file, info)
	w.walk(u.file)
	w.makeChecks()
	w.rangeIntEdits()
	w.switchEdits()
	w.builtinEdits()
	w.commaOkEdits()
	w.instanceEdits()
	w.errorEdits()
	return dropDeleted(w.edits, w.deleted)
}

// indexWalker collects the index checks of one unit.
type indexWalker struct {
	src, fn  string
	u        *unit
	info     *types.Info
	checked  *types.Package                 // the package u is checked in
	approx   map[types.Object]bool          // see checkScope
	generics map[types.Object]*ast.FuncDecl // see checkScope
	edits    []edit
	// Where variables are assigned or have their address taken, and the
	// function literals: what can change a loop's variables.
	changes  []change
	funcLits []ast.Node
	lvalues  map[ast.Expr]bool // assigned, incremented, address taken
	// The sizes given to make that a loop's pre-check covers
	// (rewrite_make.go).
	makeChecked map[ast.Expr]bool
	// Ranges of the source the switch rewrite deletes (rewrite_switch.go).
	deleted [][2]int
}

// walk adds the call check to the index expressions of n outside loops,
// and hands the loops to loopBody.
func (w *indexWalker) walk(n ast.Node) {
	ast.Inspect(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.ForStmt:
			// Init runs once; the condition, the post statement and the
			// body run at every iteration.
			if x.Init != nil {
				w.walk(x.Init)
			}
			w.loopBody(x.Body, w.loopFacts(x, loopFacts{}))
			return false
		case *ast.RangeStmt:
			w.walk(x.X) // evaluated once
			w.loopBody(x.Body, w.loopFacts(x, loopFacts{}))
			return false
		case *ast.IndexExpr:
			kind, ok := indexKind(w.info, x)
			if ok && kind == indexTuple && !pure(x.X) {
				w.tupleElem(x)
				return true
			}
			if !ok || !pure(x.X) {
				return true
			}
			if tv := w.info.Types[x.Index]; tv.Value != nil && kind == indexArray {
				return true
			}
			start, end := w.u.off(x.Index.Pos()), w.u.off(x.Index.End())
			operand := w.src[w.u.off(x.X.Pos()):w.u.off(x.X.End())]
			w.edits = append(w.edits,
				edit{off: start, ins: w.fn + "(int(", anchor: start},
				edit{off: end, ins: fmt.Sprintf("), len(%s), %d)", operand, kind), anchor: end})
		}
		return true
	})
}

// tupleElem reads the element of a Tuple that is not a plain variable
// with TupleElem, which evaluates it once: X[i] -> fnTuple(X, int(i)). An
// element assigned or whose address is taken is left alone.
func (w *indexWalker) tupleElem(x *ast.IndexExpr) {
	if w.lvalues[x] {
		return
	}
	start, open, close := w.u.off(x.X.Pos()), w.u.off(x.Lbrack), w.u.off(x.Rbrack)
	w.edits = append(w.edits,
		edit{off: start, ins: w.fn + tupleSuffix + "(", anchor: start},
		edit{off: open, del: 1, ins: ", int(", anchor: open},
		edit{off: close, del: 1, ins: "))", anchor: close})
}

// indexKind says whether x indexes a Tuple, another slice, an array (or a
// pointer to one) or a string, as far as the type check knows.
func indexKind(info *types.Info, x *ast.IndexExpr) (int, bool) {
	tv, ok := info.Types[x.X]
	if !ok || tv.Type == nil || !tv.IsValue() {
		return 0, false
	}
	if it, ok := info.Types[x.Index]; !ok || it.Type == nil {
		return 0, false
	} else if b, ok := it.Type.Underlying().(*types.Basic); !ok || b.Info()&types.IsInteger == 0 {
		return 0, false
	}
	if n, ok := types.Unalias(tv.Type).(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == GerlPath && n.Obj().Name() == "Tuple" {
		return indexTuple, true
	}
	t := tv.Type.Underlying()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem().Underlying()
		if _, ok := t.(*types.Array); !ok {
			return 0, false
		}
	}
	switch t := t.(type) {
	case *types.Slice:
		return indexSlice, true
	case *types.Array:
		return indexArray, true
	case *types.Basic:
		if t.Info()&types.IsString != 0 {
			return indexString, true
		}
	}
	return 0, false
}

// pure reports whether evaluating x twice is the same as once: a variable
// or a field of one.
func pure(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident:
		return true
	case *ast.SelectorExpr:
		return pure(x.X)
	case *ast.ParenExpr:
		return pure(x.X)
	}
	return false
}
