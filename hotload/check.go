package hotload

import (
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/traefik/yaegi/stdlib/generic"

	"github.com/gerl-dev/gerl/eval"
)

// goVersion is the language the interpreter implements: yaegi v0.16.1
// has no min, max or clear and no range over integers or functions (a
// range over an integer is rewritten before the check: rewriteRanges).
const goVersion = "go1.20"

// typeCheck type-checks the module's (rewritten) files with go/types and
// returns every problem, in source order: the whole list at once, with
// Go's wording, before the interpreter sees the code. display maps a file
// name to the path shown. The prompt's built-ins (builtins) are declared
// in the package's scope, the names the module declares or imports
// itself left out: the interpreter dot-imports them (moduleBuiltins),
// which go/types would refuse for names that are not exported. It also
// returns what the checker learned, for the closures' makers (closures.go).
func typeCheck(p *parsed, cache *typeCache, modules map[string]map[string]reflect.Value, builtins map[string]reflect.Value, display func(string) string) ([]Problem, *checked) {
	fset := token.NewFileSet()
	var files []*ast.File
	var problems []Problem
	names := make([]string, 0, len(p.texts))
	for name := range p.texts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, p.texts[name], 0)
		if err != nil {
			// The original parsed; only the rewrite could break it.
			problems = append(problems, Problem{File: display(name), Msg: "internal: rewritten source: " + err.Error()})
			continue
		}
		files = append(files, f)
	}
	if len(problems) > 0 {
		return problems, nil
	}
	imports := importNames(fset, files)
	conf := types.Config{
		Importer:  cache.importer(modules),
		GoVersion: goVersion,
		Error: func(err error) {
			var te types.Error
			if !errors.As(err, &te) {
				problems = append(problems, Problem{Msg: err.Error()})
				return
			}
			pos := te.Fset.Position(te.Pos)
			if pos.Filename == selfFile || dueToPartial(te.Msg, imports[pos.Filename], cache) {
				return
			}
			problems = append(problems, Problem{display(pos.Filename), pos.Line, pos.Column, p.fixMessage(te.Msg)})
		},
	}
	pkg := types.NewPackage(p.name, p.name)
	own := ownNames(files)
	cache.declareBuiltins(pkg, builtins, own)
	chk := &checked{fset: fset, files: map[string]*ast.File{}, pkg: pkg, imports: imports, own: own,
		info: &types.Info{Uses: map[*ast.Ident]types.Object{}}}
	for _, f := range files {
		chk.files[fset.Position(f.Package).Filename] = f
	}
	_ = types.NewChecker(&conf, fset, pkg, chk.info).Files(files)
	return problems, chk
}

// checked is what the type checker learned of a module.
type checked struct {
	fset    *token.FileSet
	files   map[string]*ast.File // by name
	pkg     *types.Package
	info    *types.Info                  // Uses only
	imports map[string]map[string]string // file -> import name -> path
	own     map[string]bool              // the names the module declares or imports packages under
}

// ownNames returns the names a module's files declare at package level or
// import packages under.
func ownNames(files []*ast.File) map[string]bool {
	own := map[string]bool{}
	for _, f := range files {
		for _, imp := range f.Imports {
			if imp.Name != nil {
				own[imp.Name.Name] = true
			} else if path, err := strconv.Unquote(imp.Path.Value); err == nil {
				own[pkgName(path)] = true
			}
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					own[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							own[n.Name] = true
						}
					case *ast.TypeSpec:
						own[spec.Name.Name] = true
					}
				}
			}
		}
	}
	return own
}

// declareBuiltins declares the built-ins in pkg, but for the names in own.
func (c *typeCache) declareBuiltins(pkg *types.Package, builtins map[string]reflect.Value, own map[string]bool) {
	syms := make(map[string]reflect.Value, len(builtins))
	for name, v := range builtins {
		if !own[name] {
			syms[name] = v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fill(pkg, syms)
	// fill leaves out the names starting with _: the send built-in is one.
	if v, ok := syms[eval.SendBuiltin]; ok {
		if sig, ok := c.typ(v.Type()).(*types.Signature); ok {
			pkg.Scope().Insert(types.NewFunc(token.NoPos, pkg, eval.SendBuiltin, sig))
		}
	}
}

// importNames maps each file to the names it imports packages under, and
// those to the packages' paths.
func importNames(fset *token.FileSet, files []*ast.File) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, f := range files {
		file := fset.Position(f.Package).Filename
		out[file] = map[string]string{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			name := pkgName(path)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			out[file][name] = path
		}
	}
	return out
}

// dueToPartial reports whether a checker message is about a name missing
// from a package the checker sees only partly (undefined: pkg.Name),
// which the interpreter may well have.
func dueToPartial(msg string, imports map[string]string, cache *typeCache) bool {
	rest, ok := strings.CutPrefix(msg, "undefined: ")
	if !ok {
		return false
	}
	name, _, ok := strings.Cut(rest, ".")
	return ok && imports[name] != "" && cache.isPartial(imports[name])
}

// The type checker needs the packages a module imports as go/types
// packages. Interpreted code sees them as yaegi symbol tables (reflect
// values: the standard library as yaegi extracted it, gerl's API, the
// trampolines of loaded modules), so the checker sees exactly those, built
// from the same tables: what type-checks here is what the interpreter can
// link. The generic packages yaegi provides as interpreted source (cmp,
// maps, and the part of slices it supports) are type-checked from that same
// source. Should one of them not check, its missing names are left to the
// interpreter (partial, see check.go).

// symbolTables maps "path/name" to a package's symbols, as yaegi's Use.
type symbolTables = map[string]map[string]reflect.Value

// typeCache converts reflect types of compiled packages to go/types, once:
// their named types never change. Safe for concurrent use.
type typeCache struct {
	mu     sync.Mutex // protects following
	tables symbolTables
	byPath map[string]string // import path -> key in tables
	pkgs   map[string]*types.Package
	named  map[reflect.Type]*types.Named
	filled map[string]bool // packages populated from their table
	// generic holds the source of the packages yaegi compiles from source,
	// by path; partial those of them that could not be checked.
	generic map[string]string
	partial map[string]bool
}

func newTypeCache(tables symbolTables) *typeCache {
	c := &typeCache{tables: tables, byPath: map[string]string{}, pkgs: map[string]*types.Package{},
		named: map[reflect.Type]*types.Named{}, filled: map[string]bool{},
		generic: map[string]string{}, partial: map[string]bool{}}
	for key := range tables {
		if i := strings.LastIndexByte(key, '/'); i > 0 {
			c.byPath[key[:i]] = key
		}
	}
	for _, src := range generic.Sources {
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
		if err == nil && c.has(f.Name.Name) {
			// With the functions gerl adds to it (slices.Sort...).
			c.generic[f.Name.Name] = eval.StdGenericSource(f.Name.Name, src)
		}
	}
	return c
}

// genericPkg type-checks a package yaegi compiles from source, once;
// c.mu is held.
func (c *typeCache) genericPkg(path, src string) *types.Package {
	if c.filled[path] {
		return c.pkgs[path]
	}
	c.filled[path] = true
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path+".go", src, 0)
	var pkg *types.Package
	if err == nil {
		conf := types.Config{Error: func(error) {},
			Importer: importerFunc(func(p string) (*types.Package, error) { return c.importLocked(p, nil) })}
		pkg, err = conf.Check(path, fset, []*ast.File{f}, nil)
	}
	if err != nil {
		c.partial[path] = true
		pkg = c.pkg(path, "")
		c.fill(pkg, c.tables[c.byPath[path]])
		pkg.MarkComplete()
	}
	c.pkgs[path] = pkg
	return pkg
}

// isPartial reports whether the checker's view of package path may lack
// names the interpreter has.
func (c *typeCache) isPartial(path string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.partial[path]
}

// has reports whether path is one of the tables' packages.
func (c *typeCache) has(path string) bool {
	_, ok := c.byPath[path]
	return ok
}

// importer returns an importer for one check: the tables' packages, and
// the modules given as symbols (name -> exports), built fresh.
func (c *typeCache) importer(modules map[string]map[string]reflect.Value) types.Importer {
	return importerFunc(func(path string) (*types.Package, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.importLocked(path, modules)
	})
}

func (c *typeCache) importLocked(path string, modules map[string]map[string]reflect.Value) (*types.Package, error) {
	if path == "unsafe" {
		return types.Unsafe, nil
	}
	if syms, ok := modules[path]; ok {
		pkg := types.NewPackage(path, path)
		c.fill(pkg, syms)
		pkg.MarkComplete()
		return pkg, nil
	}
	if src, ok := c.generic[path]; ok {
		return c.genericPkg(path, src), nil
	}
	key, ok := c.byPath[path]
	if !ok {
		return nil, fmt.Errorf("no package %q", path)
	}
	pkg := c.pkg(path, key[strings.LastIndexByte(key, '/')+1:])
	if !c.filled[path] {
		c.filled[path] = true
		c.fill(pkg, c.tables[key])
		pkg.MarkComplete()
	}
	return pkg, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// pkg returns the package of path, creating it (named name, or after its
// path when name is empty).
func (c *typeCache) pkg(path, name string) *types.Package {
	if p, ok := c.pkgs[path]; ok {
		return p
	}
	if name == "" {
		name = pkgName(path)
	}
	p := types.NewPackage(path, name)
	c.pkgs[path] = p
	return p
}

// pkgName guesses a package's name from its path: the last element, or
// the one before a major version suffix (math/rand/v2).
func pkgName(path string) string {
	elems := strings.Split(path, "/")
	name := elems[len(elems)-1]
	if len(elems) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = elems[len(elems)-2]
	}
	return strings.ReplaceAll(name, "-", "_")
}

// fill declares syms in pkg. yaegi's conventions: a type is a nil pointer
// to it, a variable an addressable value, a function a func value, an
// untyped constant a constant.Value, a typed constant any other value.
func (c *typeCache) fill(pkg *types.Package, syms map[string]reflect.Value) {
	scope := pkg.Scope()
	for name, v := range syms {
		if strings.HasPrefix(name, "_") || !v.IsValid() || scope.Lookup(name) != nil {
			continue
		}
		var obj types.Object
		switch {
		case v.CanAddr():
			obj = types.NewVar(token.NoPos, pkg, name, c.typ(v.Type()))
		case v.Kind() == reflect.Func:
			sig, ok := c.typ(v.Type()).(*types.Signature)
			if !ok {
				continue
			}
			obj = types.NewFunc(token.NoPos, pkg, name, sig)
		case v.Kind() == reflect.Pointer && v.IsNil():
			t := v.Type().Elem()
			if t.Name() == name && t.PkgPath() == pkg.Path() {
				c.typ(t) // declares it
				continue
			}
			obj = types.NewTypeName(token.NoPos, pkg, name, c.typ(t)) // an alias
		default:
			obj = c.constant(pkg, name, v)
		}
		if obj != nil {
			scope.Insert(obj)
		}
	}
}

// constant declares a constant from its yaegi value, or a variable when the
// value is not of a constant kind.
func (c *typeCache) constant(pkg *types.Package, name string, v reflect.Value) types.Object {
	if v.CanInterface() {
		if cv, ok := v.Interface().(constant.Value); ok {
			kinds := map[constant.Kind]types.BasicKind{constant.Bool: types.UntypedBool, constant.String: types.UntypedString,
				constant.Int: types.UntypedInt, constant.Float: types.UntypedFloat, constant.Complex: types.UntypedComplex}
			k, ok := kinds[cv.Kind()]
			if !ok {
				return nil
			}
			return types.NewConst(token.NoPos, pkg, name, types.Typ[k], cv)
		}
	}
	var cv constant.Value
	switch v.Kind() {
	case reflect.Bool:
		cv = constant.MakeBool(v.Bool())
	case reflect.String:
		cv = constant.MakeString(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		cv = constant.MakeInt64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		cv = constant.MakeUint64(v.Uint())
	case reflect.Float32, reflect.Float64:
		cv = constant.MakeFloat64(v.Float())
	default:
		return types.NewVar(token.NoPos, pkg, name, c.typ(v.Type()))
	}
	return types.NewConst(token.NoPos, pkg, name, c.typ(v.Type()), cv)
}

var basicKinds = map[reflect.Kind]types.BasicKind{
	reflect.Bool: types.Bool, reflect.Int: types.Int, reflect.Int8: types.Int8, reflect.Int16: types.Int16,
	reflect.Int32: types.Int32, reflect.Int64: types.Int64, reflect.Uint: types.Uint, reflect.Uint8: types.Uint8,
	reflect.Uint16: types.Uint16, reflect.Uint32: types.Uint32, reflect.Uint64: types.Uint64,
	reflect.Uintptr: types.Uintptr, reflect.Float32: types.Float32, reflect.Float64: types.Float64,
	reflect.Complex64: types.Complex64, reflect.Complex128: types.Complex128, reflect.String: types.String,
	reflect.UnsafePointer: types.UnsafePointer,
}

var errorType = reflect.TypeFor[error]()

// typ converts a reflect type.
func (c *typeCache) typ(t reflect.Type) types.Type {
	switch {
	case t == errorType:
		return types.Universe.Lookup("error").Type()
	case t.Name() != "" && t.PkgPath() == "":
		if k, ok := basicKinds[t.Kind()]; ok {
			return types.Typ[k]
		}
	case t.Name() != "":
		return c.namedType(t)
	}
	return c.structure(t)
}

// structure converts t's structure, ignoring its name.
func (c *typeCache) structure(t reflect.Type) types.Type {
	if k, ok := basicKinds[t.Kind()]; ok {
		return types.Typ[k]
	}
	switch t.Kind() {
	case reflect.Pointer:
		return types.NewPointer(c.typ(t.Elem()))
	case reflect.Slice:
		return types.NewSlice(c.typ(t.Elem()))
	case reflect.Array:
		return types.NewArray(c.typ(t.Elem()), int64(t.Len()))
	case reflect.Map:
		return types.NewMap(c.typ(t.Key()), c.typ(t.Elem()))
	case reflect.Chan:
		dir := map[reflect.ChanDir]types.ChanDir{reflect.BothDir: types.SendRecv, reflect.SendDir: types.SendOnly, reflect.RecvDir: types.RecvOnly}[t.ChanDir()]
		return types.NewChan(dir, c.typ(t.Elem()))
	case reflect.Func:
		return c.signature(t, 0, nil)
	case reflect.Struct:
		fields := make([]*types.Var, t.NumField())
		tags := make([]string, t.NumField())
		for i := range fields {
			f := t.Field(i)
			fields[i] = types.NewField(token.NoPos, c.pkgOf(f.PkgPath, t), f.Name, c.typ(f.Type), f.Anonymous)
			tags[i] = string(f.Tag)
		}
		return types.NewStruct(fields, tags)
	case reflect.Interface:
		methods := make([]*types.Func, 0, t.NumMethod())
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			methods = append(methods, types.NewFunc(token.NoPos, c.pkgOf(m.PkgPath, t), m.Name, c.signature(m.Type, 0, nil)))
		}
		return types.NewInterfaceType(methods, nil).Complete()
	}
	return types.Typ[types.Invalid]
}

// pkgOf is the package of an unexported field or method (pkgPath set), or
// of the type declaring it.
func (c *typeCache) pkgOf(pkgPath string, owner reflect.Type) *types.Package {
	if pkgPath == "" {
		pkgPath = owner.PkgPath()
	}
	if pkgPath == "" {
		return nil
	}
	return c.pkg(pkgPath, "")
}

// signature converts a func type, skipping its first skip parameters (the
// receiver of a method), with recv as the receiver.
func (c *typeCache) signature(t reflect.Type, skip int, recv *types.Var) *types.Signature {
	params := make([]*types.Var, 0, t.NumIn())
	for i := skip; i < t.NumIn(); i++ {
		params = append(params, types.NewParam(token.NoPos, nil, "", c.typ(t.In(i))))
	}
	results := make([]*types.Var, t.NumOut())
	for i := range results {
		results[i] = types.NewParam(token.NoPos, nil, "", c.typ(t.Out(i)))
	}
	return types.NewSignatureType(recv, nil, nil, types.NewTuple(params...), types.NewTuple(results...), t.IsVariadic())
}

// namedType converts a named type of a compiled package, with its
// exported methods.
func (c *typeCache) namedType(t reflect.Type) types.Type {
	if n, ok := c.named[t]; ok {
		return n
	}
	pkg := c.pkg(t.PkgPath(), "")
	tn := types.NewTypeName(token.NoPos, pkg, t.Name(), nil)
	n := types.NewNamed(tn, nil, nil)
	c.named[t] = n
	if pkg.Scope().Lookup(t.Name()) == nil {
		pkg.Scope().Insert(tn)
	}
	n.SetUnderlying(c.structure(t).Underlying())
	if t.Kind() == reflect.Interface {
		return n
	}
	pt := reflect.PointerTo(t)
	for i := 0; i < pt.NumMethod(); i++ {
		m := pt.Method(i)
		var recv *types.Var
		if _, byValue := t.MethodByName(m.Name); byValue {
			recv = types.NewVar(token.NoPos, pkg, "", n)
		} else {
			recv = types.NewVar(token.NoPos, pkg, "", types.NewPointer(n))
		}
		n.AddMethod(types.NewFunc(token.NoPos, pkg, m.Name, c.signature(m.Type, 1, recv)))
	}
	return n
}
