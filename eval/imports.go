package eval

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/stdlib"
)

// The prompt imports standard packages on first use, as gore does: typing
// strings.ToUpper("x") imports "strings". An explicit import works too, and
// importing a package again is a no-op instead of yaegi's "redeclared"
// error.

// preferred resolves package names that several standard packages share.
var preferred = map[string]string{
	"rand":      "math/rand",
	"template":  "text/template",
	"scanner":   "text/scanner",
	"parser":    "go/parser",
	"ast":       "go/ast",
	"token":     "go/token",
	"constant":  "go/constant",
	"pprof":     "runtime/pprof",
	"trace":     "runtime/trace",
	"build":     "go/build",
	"doc":       "go/doc",
	"format":    "go/format",
	"printer":   "go/printer",
	"types":     "go/types",
	"dwarf":     "debug/dwarf",
	"elf":       "debug/elf",
	"pe":        "debug/pe",
	"macho":     "debug/macho",
	"plan9obj":  "debug/plan9obj",
	"gosym":     "debug/gosym",
	"signal":    "os/signal",
	"exec":      "os/exec",
	"user":      "os/user",
	"url":       "net/url",
	"mail":      "net/mail",
	"cookiejar": "net/http/cookiejar",
	"cgi":       "net/http/cgi",
	"fcgi":      "net/http/fcgi",
	"jsonrpc":   "net/rpc/jsonrpc",
	"rpc":       "net/rpc",
	"httptest":  "net/http/httptest",
	"httputil":  "net/http/httputil",
	"heap":      "container/heap",
	"list":      "container/list",
	"ring":      "container/ring",
	"sha256":    "crypto/sha256",
	"md5":       "crypto/md5",
	"hex":       "encoding/hex",
	"base64":    "encoding/base64",
	"json":      "encoding/json",
	"csv":       "encoding/csv",
	"xml":       "encoding/xml",
	"binary":    "encoding/binary",
	"utf8":      "unicode/utf8",
	"utf16":     "unicode/utf16",
	"atomic":    "sync/atomic",
	"filepath":  "path/filepath",
	"path":      "path",
}

// stdlibPackages maps each standard package name to its import path, where
// that is unambiguous or preferred.
func stdlibPackages() map[string]string {
	byName := map[string][]string{}
	for key := range stdlib.Symbols {
		i := strings.LastIndexByte(key, '/')
		if i < 0 {
			continue
		}
		path, name := key[:i], key[i+1:]
		if strings.Contains(path, "internal") {
			continue
		}
		byName[name] = append(byName[name], path)
	}
	out := make(map[string]string, len(byName))
	for name, paths := range byName {
		if p, ok := preferred[name]; ok {
			out[name] = p
		} else if len(paths) == 1 {
			out[name] = paths[0]
		}
	}
	return out
}

// StdlibPackages returns the standard package names the prompt can import
// by use, sorted (for completion).
func StdlibPackages() []string {
	m := stdlibPackages()
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// parseSegment parses a segment for analysis: statements inside a function
// (so local declarations resolve), declarations as a file.
func parseSegment(seg Segment) (*ast.File, int) {
	var src string
	var shift int
	if seg.Kind == Decl {
		src = "package p;" + seg.Text
		shift = len("package p;")
	} else {
		src = "package p; func _() {" + seg.Text + "\n}"
		shift = len("package p; func _() {")
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", src, 0)
	if err != nil {
		return nil, 0
	}
	return f, shift
}

// unresolved returns the identifiers of seg that its own declarations do
// not resolve, with their offsets in seg.Text.
func unresolved(seg Segment) []*ast.Ident {
	f, _ := parseSegment(seg)
	if f == nil {
		return nil
	}
	return f.Unresolved
}

// importsOf returns the imports a Decl segment declares: name -> path.
func importsOf(seg Segment) map[string]string {
	f, _ := parseSegment(seg)
	if f == nil {
		return nil
	}
	out := map[string]string{}
	for _, imp := range f.Imports {
		pkg, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		name := path.Base(pkg)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		out[name] = pkg
	}
	return out
}

// selectorBases returns the names X used as X.Y in seg that seg does not
// declare: candidates for a package to import.
func selectorBases(seg Segment) []string {
	f, _ := parseSegment(seg)
	if f == nil {
		return nil
	}
	unres := map[*ast.Ident]bool{}
	for _, id := range f.Unresolved {
		unres[id] = true
	}
	seen := map[string]bool{}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && unres[id] && !seen[id.Name] {
				seen[id.Name] = true
				out = append(out, id.Name)
			}
		}
		return true
	})
	return out
}

// isUniverse reports whether name is predeclared (int, len, nil...).
func isUniverse(name string) bool {
	return types.Universe.Lookup(name) != nil
}
