package etf

import (
	"encoding/binary"
	"math"
	"reflect"
	"strconv"

	"github.com/gerl-dev/gerl/node/term"
)

// value encodes a value whose type the fast path of term does not know:
// named types and typed containers ([]int, map[int]string, [2]string...),
// which Erlang receives as the plain terms of their underlying kinds.
func (e *encoder) value(rv reflect.Value, depth int) error {
	switch rv.Kind() {
	case reflect.Bool:
		return e.term(rv.Bool(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.int(rv.Int())
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.uint(rv.Uint())
		return nil
	case reflect.Float32, reflect.Float64:
		return e.float(rv.Float(), rv.Type().String())
	case reflect.String:
		if rv.Type() == reflect.TypeFor[term.Atom]() {
			return e.atom(term.Atom(rv.String()))
		}
		e.binary(rv.String())
		return nil
	case reflect.Interface:
		if rv.IsNil() {
			e.atomUnchecked(atomNil)
			return nil
		}
		return e.term(rv.Elem().Interface(), depth)
	case reflect.Struct:
		if own(rv.Type()) {
			return e.term(rv.Interface(), depth)
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		if own(rv.Type()) {
			return e.term(rv.Interface(), depth)
		}
		if _, err := term.Canonical(rv.Type()); err != nil {
			return &encodeError{typ: rv.Type().String(), why: err.Error(), reflect: true}
		}
		if depth >= term.MaxDepth {
			return tooDeep()
		}
		switch rv.Kind() {
		case reflect.Slice:
			if rv.Type().Elem().Kind() == reflect.Uint8 {
				e.b = appendBinary(e.b, rv.Bytes())
				return nil
			}
			return e.elems(rv, depth)
		case reflect.Array:
			return e.elems(rv, depth)
		}
		return e.mapValue(rv, depth)
	}
	return &encodeError{typ: rv.Type().String(), why: "unsupported type", reflect: true}
}

// own reports whether t is one of gerl's term types, which the fast path
// of term encodes (a typed container holds them by their own type).
func own(t reflect.Type) bool { return t.PkgPath() == "github.com/gerl-dev/gerl/node/term" }

// elems writes a slice or array as a list, as STRING_EXT when it is made
// of integers from 0 to 255, as erts writes such lists.
func (e *encoder) elems(rv reflect.Value, depth int) error {
	n := rv.Len()
	if n == 0 {
		e.b = append(e.b, tagNil)
		return nil
	}
	if n <= math.MaxUint16 && byteValues(rv) {
		e.b = append(e.b, tagString, byte(n>>8), byte(n))
		for i := 0; i < n; i++ {
			x := rv.Index(i)
			if x.CanInt() {
				e.b = append(e.b, byte(x.Int()))
			} else {
				e.b = append(e.b, byte(x.Uint()))
			}
		}
		return nil
	}
	e.b = append(e.b, tagList)
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(n))
	for i := 0; i < n; i++ {
		if err := e.value(rv.Index(i), depth+1); err != nil {
			return at(err, index(i))
		}
	}
	e.b = append(e.b, tagNil)
	return nil
}

// byteValues reports whether rv's elements are integers from 0 to 255.
func byteValues(rv reflect.Value) bool {
	switch rv.Type().Elem().Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		for i := 0; i < rv.Len(); i++ {
			if x := rv.Index(i).Int(); x < 0 || x > 255 {
				return false
			}
		}
		return true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		for i := 0; i < rv.Len(); i++ {
			if rv.Index(i).Uint() > 255 {
				return false
			}
		}
		return true
	}
	return false
}

func (e *encoder) mapValue(rv reflect.Value, depth int) error {
	e.b = append(e.b, tagMap)
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(rv.Len()))
	iter := rv.MapRange()
	for iter.Next() {
		k := iter.Key()
		if k.Kind() == reflect.Interface && !k.IsNil() && !keyType(k.Elem().Interface()) {
			return &encodeError{typ: k.Elem().Type().String(), why: "map keys must be bools, numbers, strings, atoms, pids or refs (use term.Map for other keys)", reflect: true}
		}
		if err := e.value(k, depth+1); err != nil {
			return at(err, "[key "+term.Format(k.Interface())+"]")
		}
		if err := e.value(iter.Value(), depth+1); err != nil {
			return at(err, "["+mapKeyText(k)+"]")
		}
	}
	return nil
}

// mapKeyText writes a map key in a path as term.Copy does: strings
// quoted, other keys as Format prints them.
func mapKeyText(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return strconv.Quote(k.String())
	}
	return term.Format(k.Interface())
}
