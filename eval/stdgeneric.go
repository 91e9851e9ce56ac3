package eval

import (
	_ "embed"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"go/types"
	"regexp"
	"strconv"
	"strings"
	"sync"

	yaegi "github.com/traefik/yaegi/interp"
)

// The generic functions of packages slices and maps. yaegi (v0.16.1)
// brings them as Go source, but without slices' sort.go (no Sort, Min,
// Max, BinarySearch: "undefined selector: slices.Sort"), and most of the
// others cannot be called without type arguments, since it infers E from
// []E but not from S ~[]E (slices.Reverse(xs): "undefined type for E";
// maps.Clone(m): "undefined type for K"); DeleteFunc and CompactFunc use
// the clear built-in, which it lacks. gerl compiles its own, with []E and
// map[K]V parameters, into those packages after yaegi's (a later
// declaration replaces an earlier one there). They are Go's functions but
// for one thing: a result Go types S (Clone, Insert, Compact...) is a
// []E, which a named slice type converts back from.

//go:embed stdgeneric/slices.go.txt
var slicesSource string

//go:embed stdgeneric/maps.go.txt
var mapsSource string

// UseStdGenerics compiles gerl's slices and maps functions into yi, which
// has the standard library already (StdlibSymbols): those of the packages
// for which need (an import path) is true. It takes about a millisecond
// for both, which an interpreter made for code that imports neither
// (a module, a closure from another node) need not spend.
func UseStdGenerics(yi *yaegi.Interpreter, need func(path string) bool) error {
	for _, p := range []struct{ path, src string }{{"slices", slicesSource}, {"maps", mapsSource}} {
		if !need(p.path) {
			continue
		}
		if _, err := yi.Compile(p.src); err != nil {
			return fmt.Errorf("gerl's generic functions of package %s: %w", p.path, err)
		}
	}
	return nil
}

// cmpDecls is package cmp as the type check knows it (yaegi has its own
// source for cmp).
const cmpDecls = `package cmp

type Ordered interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr | ~float32 | ~float64 | ~string
}

func Less[T Ordered](x, y T) bool { return x < y }

func Compare[T Ordered](x, y T) int { return 0 }

func Or[T comparable](vals ...T) T { var zero T; return zero }
`

// stdChecked is what the type check (rewrite_index.go) knows of the
// standard packages whose generic functions the interpreter runs from
// source: the packages by path, and the declarations of their generic
// functions, for the simulation of yaegi's inference
// (rewrite_generic.go).
type stdChecked struct {
	pkgs     map[string]*types.Package
	generics map[types.Object]*ast.FuncDecl
}

// stdPackages checks cmp, slices and maps once, from gerl's sources (the
// imports they need but cmp fail, which leaves bodies unchecked and
// signatures whole). The result is never changed.
var stdPackages = sync.OnceValue(func() *stdChecked {
	std := &stdChecked{pkgs: map[string]*types.Package{}, generics: map[types.Object]*ast.FuncDecl{}}
	fset := token.NewFileSet()
	importer := importerFunc(func(path string) (*types.Package, error) {
		if pkg, ok := std.pkgs[path]; ok {
			return pkg, nil
		}
		return nil, errors.New("not imported")
	})
	for _, p := range []struct{ path, src string }{{"cmp", cmpDecls}, {"slices", slicesSource}, {"maps", mapsSource}} {
		f, err := parser.ParseFile(fset, p.path+".go", p.src, parser.SkipObjectResolution)
		if err != nil {
			panic(fmt.Sprintf("gerl's source of package %s: %v", p.path, err)) // embedded: a bug in gerl
		}
		if p.path == "slices" {
			// Compiled into yaegi's package slices, which imports cmp.
			f.Decls = append(f.Decls, importDecl("cmp"))
		}
		info := &types.Info{Defs: map[*ast.Ident]types.Object{}}
		conf := types.Config{Error: func(error) {}, Importer: importer}
		pkg, _ := conf.Check(p.path, fset, []*ast.File{f}, info)
		std.pkgs[p.path] = pkg
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Type.TypeParams != nil {
				if obj := info.Defs[fd.Name]; obj != nil {
					std.generics[obj] = fd
				}
			}
		}
	}
	return std
})

// importDecl is the declaration import "path".
func importDecl(path string) *ast.GenDecl {
	return &ast.GenDecl{Tok: token.IMPORT, Specs: []ast.Spec{&ast.ImportSpec{Path: &ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(path)}}}}
}

// importerFunc is a types.Importer.
type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// mayUseStd finds the sources that may call a function of cmp, slices or
// maps (stdUsed parses them).
var mayUseStd = regexp.MustCompile(`\b(?:slices|maps|cmp)\s*\.`)

// stdUsed returns the names of cmp, slices and maps that n uses as
// name.F.
func stdUsed(n ast.Node) map[string]bool {
	used := map[string]bool{}
	ast.Inspect(n, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && (id.Name == "slices" || id.Name == "maps" || id.Name == "cmp") {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}

// addStdImports adds to u's file the imports of cmp, slices and maps the
// prompt makes itself (by auto-import, or an earlier input's import) for
// those u uses as name.F and neither imports nor declares (nor has in
// pkg: a variable of the prompt named slices). They go at the end of the
// file, where go/types takes them as well.
func addStdImports(u *unit, pkg *types.Package) {
	used := stdUsed(u.file)
	if len(used) == 0 {
		return
	}
	for _, imp := range u.file.Imports {
		name := ""
		if imp.Name != nil {
			name = imp.Name.Name
		} else if p, err := strconv.Unquote(imp.Path.Value); err == nil {
			name = p
		}
		delete(used, name)
	}
	declared := map[string]bool{}
	declaredNames(u.file, declared)
	for _, name := range []string{"cmp", "maps", "slices"} {
		if used[name] && !declared[name] && pkg.Scope().Lookup(name) == nil {
			u.file.Decls = append(u.file.Decls, importDecl(name))
		}
	}
}

// StdGenericSource returns package path ("slices", "maps") as the
// interpreter has it after UseStdGenerics, for a type check (a module's,
// in hotload): yaegiSrc, yaegi's source of the package, without the
// functions gerl replaces, with gerl's and their imports. yaegiSrc itself
// for another path, or one that does not parse.
func StdGenericSource(path, yaegiSrc string) string {
	ours := map[string]string{"slices": slicesSource, "maps": mapsSource}[path]
	if ours == "" {
		return yaegiSrc
	}
	fset := token.NewFileSet()
	theirs, err := parser.ParseFile(fset, path+".go", yaegiSrc, parser.ParseComments)
	mine, err2 := parser.ParseFile(fset, path+"+gerl.go", ours, 0)
	if err != nil || err2 != nil {
		return yaegiSrc
	}
	replaced := map[string]bool{}
	for _, d := range mine.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			replaced[fd.Name.Name] = true
		}
	}
	imported := map[string]bool{}
	for _, imp := range theirs.Imports {
		imported[imp.Path.Value] = true
	}
	var decls []ast.Decl
	for _, imp := range mine.Imports {
		if !imported[imp.Path.Value] {
			p, _ := strconv.Unquote(imp.Path.Value)
			decls = append(decls, importDecl(p))
		}
	}
	for _, d := range theirs.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && replaced[fd.Name.Name] {
			continue
		}
		decls = append(decls, d)
	}
	theirs.Decls = decls
	theirs.Comments = nil // they would land among the declarations left
	var b strings.Builder
	if err := printer.Fprint(&b, fset, theirs); err != nil {
		return yaegiSrc
	}
	for _, d := range mine.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			continue
		}
		b.WriteString("\n\n")
		if err := printer.Fprint(&b, fset, d); err != nil {
			return yaegiSrc
		}
	}
	return b.String()
}
