package eval

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// FormatValue renders a value the shell prints: terms as erl prints them
// ({ping,<foo@vm.1.0>,1}, "quoted strings", atoms bare), and other Go
// values as Go prints them (structs with field names, functions as
// #Fun<type>).
func FormatValue(v any) string {
	if v == nil {
		return "nil"
	}
	switch x := v.(type) {
	case error:
		return fmt.Sprintf("error(%q)", gerlNames(term.ErrorText(x)))
	case reflect.Value:
		if !x.IsValid() {
			return "nil"
		}
		if !x.CanInterface() {
			return x.String()
		}
		return FormatValue(x.Interface())
	}
	if s, ok := v.(fmt.Stringer); ok {
		return stringText(s)
	}
	if rv := reflect.ValueOf(v); holdsBox(rv.Type(), 0) {
		return formatBoxed(rv, 0) // format_boxed.go
	}
	if _, err := term.Copy(v); err == nil {
		return term.Format(v)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		// Values that are not terms (supervisor.ChildInfo, a function...)
		// in a list or a tuple still print as erl prints those.
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = FormatValue(rv.Index(i).Interface())
		}
		if _, ok := v.(term.Tuple); ok {
			return "{" + strings.Join(parts, ",") + "}"
		}
		return "[" + strings.Join(parts, ",") + "]"
	case reflect.Func:
		if rv.IsNil() {
			return "nil"
		}
		return fmt.Sprintf("#Fun<%s>", typeText(rv.Type()))
	case reflect.Chan:
		return fmt.Sprintf("#Chan<%s>", rv.Type())
	case reflect.Struct:
		return fieldNames(fmt.Sprintf("%+v", v))
	case reflect.Pointer:
		if rv.IsNil() {
			return "nil"
		}
		if rv.Elem().Kind() == reflect.Struct {
			return fieldNames(fmt.Sprintf("&%+v", rv.Elem().Interface()))
		}
	}
	return fmt.Sprintf("%v", v)
}

// yaegiField is a field name as yaegi's struct types have it: yaegi
// (v0.16.1) exports an unexported field n as Xn.
var yaegiField = regexp.MustCompile(`([{ ])X([a-z_][A-Za-z0-9_]*):`)

// fieldNames gives the fields of a struct printed with %+v the names the
// code declared them with: {n:1}, not yaegi's {Xn:1}. (A field declared
// Xray would print as ray: yaegi's names do not tell them apart.)
func fieldNames(text string) string {
	if !strings.Contains(text, "X") {
		return text
	}
	return yaegiField.ReplaceAllString(text, "$1$2:")
}

// typeText is t as Go prints it, with the gerl API's types under the
// names interpreted code knows them by: func(gerl.Request, int) int, not
// func(term.Request, int) int.
func typeText(t reflect.Type) string { return gerlNames(t.String()) }

// gerlNames replaces in text the Go names of the types the gerl package
// exports (term.Request, *node.Proc) with their gerl names (gerl.Request,
// *gerl.Proc).
func gerlNames(text string) string { return gerlNamer().Replace(text) }

// gerlNamer is gerlNames' replacer, built on first use from the fixed
// table of termTypes, and immutable: a closure sent to another node names
// its captured variables' types with it, on every spawn.
var gerlNamer = sync.OnceValue(func() *strings.Replacer {
	var olds []string
	gerlName := map[string]string{}
	all := termTypes()
	maps.Copy(all, erlangTypes())
	for name, v := range all {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			old := v.Type().Elem().String()
			olds = append(olds, old)
			gerlName[old] = "gerl." + name
		}
	}
	// Longest first: node.ProcInfo before node.Proc.
	sort.Slice(olds, func(i, j int) bool { return len(olds[i]) > len(olds[j]) })
	pairs := make([]string, 0, 2*len(olds))
	for _, old := range olds {
		pairs = append(pairs, old, gerlName[old])
	}
	return strings.NewReplacer(pairs...)
})

// stringText calls String, surviving a method that panics (a typed nil).
func stringText(s fmt.Stringer) (text string) {
	defer func() {
		if r := recover(); r != nil {
			text = fmt.Sprintf("%v", s)
		}
	}()
	return s.String()
}
