package eval

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/traefik/yaegi/stdlib"
)

// h("mod.Fun") documents a function from its source, as `go doc` does:
// its signature and its doc comment. The source of a loaded module is the
// text of its current version (hot loading gives it with
// SetModuleSource); the standard library's is Go's own, under GOROOT,
// when the machine has it (otherwise h shows the signature alone).

// SetModuleSource records the source files (base name -> text) of the
// current version of module, which h("module.Fun") reads. Hot loading
// calls it at each load. Safe for concurrent use.
func (e *Env) SetModuleSource(module string, files map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.moduleSrc == nil {
		e.moduleSrc = map[string]map[string]string{}
	}
	e.moduleSrc[module] = files
}

// moduleSource returns what SetModuleSource recorded for module.
func (e *Env) moduleSource(module string) (map[string]string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	files, ok := e.moduleSrc[module]
	return files, ok
}

// funcDoc documents name, "pkg.Fun": a function of a loaded module or of
// a standard package (by its name, as the prompt uses it, or its import
// path: "math/rand.Intn"). The error says what is missing, in gerl's
// words.
func (s *Session) funcDoc(name string) (string, error) {
	dot := strings.LastIndexByte(name, '.')
	if dot <= 0 || dot == len(name)-1 || strings.LastIndexByte(name, '/') > dot {
		return "", fmt.Errorf("no built-in named %s; help() lists the built-ins, h(\"mod.Fun\") documents a function of a module or a standard package", name)
	}
	pkg, fn := name[:dot], name[dot+1:]
	if files, ok := s.env.moduleSource(pkg); ok {
		text, found := funcInSources(pkg, fn, files)
		if !found {
			return "", fmt.Errorf("module %s has no function %s", pkg, fn)
		}
		return text, nil
	}
	p := pkg
	if !strings.Contains(pkg, "/") {
		var ok bool
		if p, ok = s.importedPath(pkg); !ok {
			s.mu.Lock()
			p, ok = s.stdPkgs[pkg]
			s.mu.Unlock()
			if !ok {
				return "", fmt.Errorf("no module or standard package named %s (a module is documented once loaded: c, l or nl)", pkg)
			}
		}
	}
	key := p + "/" + path.Base(p)
	syms, std := stdlib.Symbols[key]
	if !std {
		syms = s.env.Exports()[key] // gerl's own packages: supervisor, global...
	}
	sym, ok := syms[fn]
	switch {
	case !ok && len(syms) == 0:
		return "", fmt.Errorf("no module or standard package named %s", pkg)
	case !ok:
		return "", fmt.Errorf("package %s has no function %s", pkg, fn)
	case sym.Kind() != reflect.Func:
		return "", fmt.Errorf("%s is not a function; h documents functions", name)
	}
	if std {
		if text, found := funcInSources(pkg, fn, goSources(p)); found {
			return text, nil
		}
	}
	note := "no doc comment"
	if std {
		note = "no doc comment: Go's sources are not on this machine; set GOROOT to show them"
	}
	return fmt.Sprintf("func %s%s\n    (%s)\n", name, strings.TrimPrefix(typeSource(sym.Type()), "func"), note), nil
}

// funcInSources finds the top-level function fn in files (base name ->
// Go text) and formats it as go doc does: the signature, then the doc
// comment indented. Of several declarations (one per operating system),
// the first with a doc comment wins.
func funcInSources(pkg, fn string, files map[string]string) (string, bool) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	fset := token.NewFileSet()
	var found *ast.FuncDecl
	for _, n := range names {
		text := files[n]
		if out, changed, err := RewriteSend(text, bangFunc); err == nil && changed {
			text = out // a module in the prompt's dialect: pid ! msg
		}
		f, err := parser.ParseFile(fset, n, text, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Name.Name != fn {
				continue
			}
			if found == nil || found.Doc == nil && fd.Doc != nil {
				found = fd
			}
		}
		if found != nil && found.Doc != nil {
			break
		}
	}
	if found == nil {
		return "", false
	}
	doc := found.Doc
	sig := &ast.FuncDecl{Name: ast.NewIdent(pkg + "." + fn), Type: found.Type}
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, sig); err != nil {
		return "", false
	}
	b.WriteString("\n")
	if doc == nil {
		b.WriteString("    (no doc comment)\n")
	} else {
		for _, line := range strings.Split(strings.TrimRight(doc.Text(), "\n"), "\n") {
			if line == "" {
				b.WriteString("\n")
			} else {
				b.WriteString("    " + line + "\n")
			}
		}
	}
	return b.String(), true
}

// goSources reads the Go files of standard package p (tests left out)
// from GOROOT, or returns nil when the machine has no Go sources.
func goSources(p string) map[string]string {
	root := os.Getenv("GOROOT")
	if root == "" {
		root = build.Default.GOROOT
	}
	if root == "" {
		return nil
	}
	dir := filepath.Join(root, "src", filepath.FromSlash(p))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	files := map[string]string{}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		files[n] = string(data)
	}
	return files
}
