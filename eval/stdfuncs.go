package eval

import (
	"path"
	"reflect"
	"strings"

	"github.com/traefik/yaegi/stdlib"
)

// Functions of the standard library by name, for rpc and spawn from other
// nodes (an Erlang node's rpc:call(Node, strings, 'ToUpper', [<<"hi">>])
// asks for "strings.ToUpper"): a package's name, as the prompt imports it
// (strings, json, rand is math/rand), or its import path
// (encoding/json.Marshal), then the exported function's name. Only the
// functions the interpreter offers the prompt are found; variables,
// types and constants are not functions.

// stdlibFunc resolves name; pkgs maps package names to import paths
// (stdlibPackages).
func stdlibFunc(pkgs map[string]string, name string) (any, bool) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return nil, false
	}
	pkg, fn := name[:i], name[i+1:]
	imp := pkg
	if !strings.Contains(pkg, "/") {
		var ok bool
		if imp, ok = pkgs[pkg]; !ok {
			return nil, false
		}
	}
	if strings.Contains(imp, "internal") {
		return nil, false
	}
	v, ok := stdlib.Symbols[imp+"/"+path.Base(imp)][fn]
	if !ok || v.Kind() != reflect.Func || v.IsNil() {
		return nil, false
	}
	return v.Interface(), true
}
