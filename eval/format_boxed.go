package eval

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unsafe"
)

// A value of an interface type declared at the prompt or in a module
// (type Shape interface{ Area() float64 }) is, inside yaegi (v0.16.1), a
// struct of its own, valueInterface, holding the interpreter's node and
// the reflect.Value of the dynamic value. Compiled code that receives a
// []Shape sees those structs: fmt printed
// [{node:0xc000... value:{typ_:0xc000... ptr:... flag:409}}] at the
// prompt. formatBoxed prints the values they hold instead, as Go would
// print the []Shape: [{S:2},{S:3}].

// boxName is the name of yaegi's struct for values of interpreted
// interface types, and boxField the field that holds the value.
const (
	boxName  = "valueInterface"
	boxField = "value"
)

// isBox reports whether t is yaegi's struct for a value of an
// interpreted interface type.
func isBox(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t.Name() != boxName || !strings.HasPrefix(t.PkgPath(), yaegiModule) {
		return false
	}
	f, ok := t.FieldByName(boxField)
	return ok && f.Type == reflect.TypeFor[reflect.Value]()
}

// unbox returns the value box (of a type isBox accepts) holds: invalid
// for a nil interface. The field is not exported: it is read from an
// addressable copy of box, as a reflect.Value, which it is.
func unbox(box reflect.Value) reflect.Value {
	c := reflect.New(box.Type()).Elem()
	c.Set(box)
	f, _ := box.Type().FieldByName(boxField)
	return *(*reflect.Value)(unsafe.Pointer(c.FieldByIndex(f.Index).UnsafeAddr()))
}

// holdsBox reports whether values of t can hold one of yaegi's boxes:
// t is one, or a slice, array, map, pointer or struct of them.
func holdsBox(t reflect.Type, depth int) bool {
	if depth > 8 {
		return false
	}
	switch t.Kind() {
	case reflect.Struct:
		if isBox(t) {
			return true
		}
		for i := range t.NumField() {
			if holdsBox(t.Field(i).Type, depth+1) {
				return true
			}
		}
	case reflect.Slice, reflect.Array, reflect.Pointer:
		return holdsBox(t.Elem(), depth+1)
	case reflect.Map:
		return holdsBox(t.Key(), depth+1) || holdsBox(t.Elem(), depth+1)
	}
	return false
}

// formatBoxed prints rv, which holds boxes (holdsBox), as Go prints the
// value without them: struct fields by name, maps with sorted keys.
func formatBoxed(rv reflect.Value, depth int) string {
	if !rv.IsValid() {
		return "nil"
	}
	t := rv.Type()
	if depth > 16 || !holdsBox(t, 0) {
		if rv.CanInterface() {
			return FormatValue(rv.Interface())
		}
		return "?"
	}
	switch t.Kind() {
	case reflect.Struct:
		if isBox(t) {
			return formatBoxed(unbox(rv), depth+1)
		}
		parts := make([]string, t.NumField())
		for i := range parts {
			parts[i] = t.Field(i).Name + ":" + formatBoxed(rv.Field(i), depth+1)
		}
		return "{" + strings.Join(parts, " ") + "}"
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && rv.IsNil() {
			return "[]"
		}
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = formatBoxed(rv.Index(i), depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case reflect.Pointer:
		if rv.IsNil() {
			return "nil"
		}
		return "&" + formatBoxed(rv.Elem(), depth+1)
	case reflect.Map:
		parts := make([]string, 0, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			parts = append(parts, formatBoxed(iter.Key(), depth+1)+":"+formatBoxed(iter.Value(), depth+1))
		}
		sort.Strings(parts)
		return "map[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(rv)
}
