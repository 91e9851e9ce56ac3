package eval

import (
	"container/list"
	"crypto/sha256"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib/unrestricted"

	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// Running a closure another node sent (ship.go is the sending side). The
// Env is the node's cluster.CodeRunner: RunCode compiles the code into a
// maker, a function of the captured variables that returns the closure:
//
//	func __gerl_make(k int, name string) any { return func(n int) int { ... } }
//
// in an interpreter of its own, with what every interpreter of the node
// has (the standard library, gerl's packages, the built-ins, dot-imported
// as at the prompt), the declarations the code brought, its imports, and
// the modules it calls (loaded here: a missing one is an error naming it;
// nl loads it). The maker is kept by the hash of the code (the last
// codeCacheSize), so a closure spawned again costs a call of the maker
// with the new values, not a compilation. Code comes only from peers that
// passed the cookie handshake: as with nl, the cookie is the key to the
// node.

// codeCacheSize is how many compiled closures a node keeps.
const codeCacheSize = 256

// makerName is the function the compiled code defines.
const makerName = "__gerl_make"

// codeCache keeps compiled makers by the hash of their code, the most
// recently used first. Safe for concurrent use.
type codeCache struct {
	mu      sync.Mutex // protects following; held while compiling, one at a time
	entries map[[32]byte]*list.Element
	order   list.List // of *compiled
}

type compiled struct {
	key   [32]byte
	maker reflect.Value
}

// RunCode compiles code (or finds it compiled) and returns the closure,
// with the captured values code carries. It implements
// cluster.CodeRunner.
func (e *Env) RunCode(code *cluster.Code) (any, error) {
	if code.Made != nil {
		return e.runModuleCode(code)
	}
	mk, err := e.maker(code)
	if err != nil {
		return nil, err
	}
	return applyMaker(mk, code, "the code")
}

// applyMaker calls maker mk with the captured values code carries, and
// returns the closure it makes. what names the code in errors.
func applyMaker(mk reflect.Value, code *cluster.Code, what string) (fn any, err error) {
	defer func() {
		if r := recover(); r != nil {
			fn, err = nil, fmt.Errorf("%s could not be made: %s", what, term.PanicText(fmt.Sprint(r)))
		}
	}()
	t := mk.Type()
	if t.NumIn() != len(code.Values) {
		return nil, fmt.Errorf("%s takes %d captured values, got %d", what, t.NumIn(), len(code.Values))
	}
	in := make([]reflect.Value, len(code.Values))
	for i, v := range code.Values {
		rv, err := captureArg(v, t.In(i))
		if err != nil {
			return nil, fmt.Errorf("captured variable %s: %w", code.Names[i], err)
		}
		in[i] = rv
	}
	return mk.Call(in)[0].Interface(), nil
}

// captureArg makes v a value of type t: nil as t's zero value, a value of
// t's canonical type converted (a named type travels as its underlying).
func captureArg(v any, t reflect.Type) (reflect.Value, error) {
	if v == nil {
		return reflect.Zero(t), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Type().AssignableTo(t) {
		out := reflect.New(t).Elem()
		out.Set(rv)
		return out, nil
	}
	if rv.Type().ConvertibleTo(t) && (rv.Kind() == t.Kind() || t.Kind() == reflect.Interface) {
		return rv.Convert(t), nil
	}
	return reflect.Value{}, fmt.Errorf("cannot use a %s as %s", typeSource(rv.Type()), typeSource(t))
}

// maker returns the compiled maker of code.
func (e *Env) maker(code *cluster.Code) (reflect.Value, error) {
	key := codeKey(code)
	c := &e.code
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[[32]byte]*list.Element{}
	}
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*compiled).maker, nil
	}
	mk, err := e.compileCode(code)
	if err != nil {
		return reflect.Value{}, err
	}
	c.entries[key] = c.order.PushFront(&compiled{key: key, maker: mk})
	if c.order.Len() > codeCacheSize {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*compiled).key)
	}
	return mk, nil
}

// codeKey hashes what the compiled maker depends on: everything but the
// values.
func codeKey(code *cluster.Code) [32]byte {
	h := sha256.New()
	for _, part := range [][]string{code.Imports, {code.Decls, code.Func}, code.Names, code.Types, code.Modules} {
		for _, s := range part {
			fmt.Fprintf(h, "%d:%s", len(s), s)
		}
		h.Write([]byte{0})
	}
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}

// compileCode compiles code into its maker in a fresh interpreter. The
// caller holds the cache's lock.
func (e *Env) compileCode(code *cluster.Code) (mk reflect.Value, err error) {
	for _, m := range code.Modules {
		if !e.isModule(m) {
			return mk, fmt.Errorf("the closure calls module %s, which %s has not loaded (nl(%q) on the sending node loads it everywhere)",
				m, e.node.Name(), m)
		}
	}
	params := make([]string, len(code.Names))
	for i, name := range code.Names {
		if !token.IsIdentifier(name) {
			return mk, fmt.Errorf("captured variable %q: not a name", name)
		}
		if _, err := parser.ParseExpr(code.Types[i]); err != nil {
			return mk, fmt.Errorf("captured variable %s: %q is not a type", name, code.Types[i])
		}
		params[i] = name + " " + code.Types[i]
	}
	imports := make([]string, 0, len(code.Imports))
	paths := map[string]bool{}
	for _, spec := range code.Imports {
		name, quoted, _ := strings.Cut(spec, " ")
		if quoted == "" {
			name, quoted = "", spec
		}
		path, err := strconv.Unquote(quoted)
		if err != nil || (name != "" && !token.IsIdentifier(name)) {
			return mk, fmt.Errorf("bad import %q", spec)
		}
		paths[path] = true
		if name == "" && slices.Contains(code.Modules, path) {
			continue // codeInterpreter imports the modules
		}
		imports = append(imports, "import "+spec)
	}
	var segs []Segment
	if code.Decls != "" {
		decls, _, err := RewriteGoMap(code.Decls, goFunc, goSpreadFunc)
		if err != nil {
			return mk, err
		}
		if segs, err = Split(decls); err != nil {
			return mk, err
		}
	}
	yi, err := e.codeInterpreter(code.Modules, topNames(segs), func(p string) bool { return paths[p] })
	if err != nil {
		return mk, err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the interpreter failed on the closure: %v", r)
		}
	}()
	eval := func(src string) error {
		_, err := yi.Eval(src)
		if err != nil {
			return fmt.Errorf("%s", cleanMsg(stripYaegiPos(err.Error())))
		}
		return nil
	}
	for _, imp := range imports {
		if err := eval(imp); err != nil {
			return mk, err
		}
	}
	for _, seg := range segs {
		if err := eval(seg.Text); err != nil {
			return mk, err
		}
	}
	src := fmt.Sprintf("func %s(%s) any { return %s }", makerName, strings.Join(params, ", "), code.Func)
	src, _, err = RewriteGoMap(src, goFunc, goSpreadFunc)
	if err != nil {
		return mk, err
	}
	if err := eval(src); err != nil {
		return mk, err
	}
	v, err := yi.Eval(makerName)
	if err != nil {
		return mk, err
	}
	if v.Kind() != reflect.Func {
		return mk, errors.New("the closure did not compile to a function")
	}
	return v, nil
}

// codeInterpreter returns a fresh interpreter for received code: the
// standard library, gerl's packages and the built-ins, dot-imported, as at
// the prompt (but for the names the code declares itself, own, which hide
// them: yaegi v0.16.1 would keep a built-in type over a declared one, see
// symbols.dropType), gerl's generic functions of the standard packages it
// imports (UseStdGenerics), and the given modules.
func (e *Env) codeInterpreter(modules []string, own map[string]bool, imported func(path string) bool) (*yaegi.Interpreter, error) {
	yi := yaegi.New(yaegi.Options{Stdout: e.Output(), Stderr: e.PanicTraceFilter(e.Stdout()), Unrestricted: true})
	builtins := e.Builtins()
	for name := range own {
		delete(builtins, name)
	}
	uses := []yaegi.Exports{StdlibSymbols(), unrestricted.Symbols, e.Exports(), e.StdOverrides(),
		{shellPath + "/shell": builtins}}
	pkgs := e.addedPackages()
	for _, m := range modules {
		uses = append(uses, pkgs[m])
	}
	for _, u := range uses {
		if err := yi.Use(u); err != nil {
			return nil, err
		}
	}
	if err := UseStdGenerics(yi, imported); err != nil {
		return nil, err
	}
	for _, src := range []string{`import "gerl"`, `import . "` + shellPath + `"`} {
		if _, err := yi.Eval(src); err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
	}
	for _, m := range modules {
		if _, err := yi.Eval(fmt.Sprintf("import %q", m)); err != nil {
			return nil, err
		}
	}
	return yi, nil
}

// topNames returns the names segs declare at their top level: types,
// functions, variables and constants.
func topNames(segs []Segment) map[string]bool {
	names := map[string]bool{}
	for _, seg := range segs {
		f, _ := parseSegment(seg)
		for _, d := range topDecls(seg, f) {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						names[spec.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
	}
	return names
}

// stripYaegiPos removes the position yaegi puts before its errors: it is a
// position in code the user of the other node typed, which this node's
// message cannot point at.
func stripYaegiPos(msg string) string {
	msg = strings.SplitN(msg, "\n", 2)[0]
	if m := yaegiErrPos.FindStringSubmatch(msg); m != nil {
		return m[3]
	}
	return msg
}
