package eval

import (
	"fmt"
	"maps"
	"path"
	"reflect"
	"strings"
	"sync"

	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/unrestricted"
)

// Everything a node knows can be called by name, from spawn and rpc here
// and from other nodes (gerl's and Erlang's): Env.Lookup is the one place
// that resolves a name. In order:
//
//  1. the functions given to RegisterFunc ("gerl.halt", "gerl.shell");
//  2. the resolver's: hot loading's module functions ("counter.Loop");
//  3. the built-ins, by the names the prompt uses ("node", "nodes",
//     "memory", "registered", "i"): they act as the process that runs
//     them, and print where its group leader prints;
//  4. the functions of gerl's packages ("gerl.Nodes",
//     "global.WhereisName") and of the standard library as interpreted
//     code sees it ("strings.ToUpper", "os.Getpid"; fmt.Print*, print
//     where the caller's group leader prints, and time.Sleep yields to a
//     kill, as at the prompt). A package name several standard packages
//     share means the one the prompt imports ("rand" is math/rand); the
//     others are reached by path: "crypto/rand.Int".
//
// Only functions are found, not variables, constants or types.

// stdFuncs holds the package functions of step 4, built on first use.
type stdFuncs struct {
	once   sync.Once
	byPath map[string]map[string]reflect.Value // import path -> name -> function
	byName map[string]string                   // package name -> import path
}

// builtinTable returns the Env's built-ins, built once (Builtins copies
// it).
func (e *Env) builtinTable() map[string]reflect.Value {
	e.builtinsOnce.Do(func() { e.builtinsCache = e.makeBuiltins() })
	return e.builtinsCache
}

// Builtins returns the built-ins of every interpreter of the Env, by the
// names code uses (self, spawn, receive, i...), with the term types, T and
// A: what works at the prompt works in a module and in a closure sent to
// another node. They act as the calling process, and print where its
// group leader prints. A shell adds its own (v, b, h, help, q, halt).
func (e *Env) Builtins() map[string]reflect.Value { return maps.Clone(e.builtinTable()) }

// lookupBuiltin finds a built-in function by its prompt name; the rewrites'
// helpers (__gerl_*) are not callable by name.
func (e *Env) lookupBuiltin(name string) (any, bool) {
	if strings.HasPrefix(name, "__") {
		return nil, false
	}
	v, ok := e.builtinTable()[name]
	if !ok || v.Kind() != reflect.Func {
		return nil, false
	}
	return v.Interface(), true
}

// lookupPackageFunc finds "pkg.Name" in gerl's packages or the standard
// library (step 4 above).
func (e *Env) lookupPackageFunc(name string) (any, bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 || strings.LastIndexByte(name, '/') > i {
		return nil, false
	}
	pkg, fn := name[:i], name[i+1:]
	e.std.once.Do(func() { e.std.byPath, e.std.byName = e.packageFuncs() })
	p := pkg
	if !strings.Contains(pkg, "/") {
		if full, ok := e.std.byName[pkg]; ok {
			p = full
		}
	}
	v, ok := e.std.byPath[p][fn]
	if !ok {
		return nil, false
	}
	return v.Interface(), true
}

// packageFuncs collects the functions of gerl's packages and the standard
// library, by import path, and the import path of each package name.
func (e *Env) packageFuncs() (map[string]map[string]reflect.Value, map[string]string) {
	byPath := map[string]map[string]reflect.Value{}
	add := func(tables map[string]map[string]reflect.Value) {
		for key, syms := range tables {
			p := key
			if i := strings.LastIndexByte(key, '/'); i > 0 {
				p = key[:i] // "strings/strings" -> "strings"
			}
			if strings.Contains(p, "internal") {
				continue // not importable: not callable by name either
			}
			for n, v := range syms {
				if v.Kind() != reflect.Func || v.IsNil() {
					continue
				}
				if byPath[p] == nil {
					byPath[p] = map[string]reflect.Value{}
				}
				byPath[p][n] = v
			}
		}
	}
	add(stdlib.Symbols)
	add(unrestricted.Symbols)
	gerl := map[string]map[string]reflect.Value{}
	for k, v := range e.Exports() {
		if strings.HasPrefix(k, "gerl") { // not yaegi's extras for servers
			gerl[k] = v
		}
	}
	add(gerl)
	out := e.Output()
	if fmtFuncs := byPath["fmt"]; fmtFuncs != nil {
		fmtFuncs["Print"] = reflect.ValueOf(func(a ...any) (int, error) { return fmt.Fprint(out, a...) })
		fmtFuncs["Printf"] = reflect.ValueOf(func(f string, a ...any) (int, error) { return fmt.Fprintf(out, f, a...) })
		fmtFuncs["Println"] = reflect.ValueOf(func(a ...any) (int, error) { return fmt.Fprintln(out, a...) })
	}
	for p, funcs := range e.StdOverrides() {
		if byPath[path.Dir(p)] != nil {
			maps.Copy(byPath[path.Dir(p)], funcs)
		}
	}
	byName := stdlibPackages()
	for name, p := range gerlPackages() {
		byName[name] = p
	}
	byName["gerl"] = GerlPath
	for p := range byPath {
		if _, taken := byName[path.Base(p)]; !taken {
			byName[path.Base(p)] = p
		}
	}
	return byPath, byName
}
