package cluster

import (
	"fmt"
	"reflect"
	"unicode/utf8"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The arguments of an rpc or spawn from an Erlang node arrive as Erlang's
// terms (docs/terms.md, "Terms and Erlang"): text as a binary ([]byte) or
// a charlist (a list of integers), lists as []any, maps as map[any]any or
// term.Map. A Go function wants its own parameter types, so erlArgs
// converts each argument to its parameter's type where the meaning is
// plain:
//
//	string parameter     <- binary, charlist, atom
//	[]byte parameter     <- binary, list of bytes, charlist of bytes
//	[]T, [N]T parameter  <- list, each element converted to T
//	map[K]V parameter    <- map, each key to K and value to V
//	numbers              <- integers and floats that fit (node.Entry's rule)
//	any, own types       <- the term as it came
//
// and leaves the rest to node.Entry's rules, which refuse what does not
// fit with an error naming the argument.

var procType = reflect.TypeFor[*node.Proc]()

// erlArgs converts args for a call of fn (see above).
func erlArgs(fn any, args []any) ([]any, error) {
	ft := reflect.TypeOf(fn)
	first := 0
	if ft.NumIn() > 0 && ft.In(0) == procType {
		first = 1
	}
	out := make([]any, len(args))
	for i, a := range args {
		var pt reflect.Type
		switch {
		case ft.IsVariadic() && first+i >= ft.NumIn()-1:
			pt = ft.In(ft.NumIn() - 1).Elem()
		case first+i < ft.NumIn():
			pt = ft.In(first + i)
		default:
			out[i] = a // too many: Entry says so
			continue
		}
		v, err := fromErlang(a, pt, 0)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		out[i] = v
	}
	return out, nil
}

// arityOf returns how many arguments fn takes (not counting a leading
// *node.Proc), and whether it takes more (variadic).
func arityOf(fn any) (int, bool) {
	ft := reflect.TypeOf(fn)
	n := ft.NumIn()
	if n > 0 && ft.In(0) == procType {
		n--
	}
	if ft.IsVariadic() {
		return n - 1, true
	}
	return n, false
}

// fromErlang converts v to type t where the mapping above says how, and
// returns v unchanged otherwise.
func fromErlang(v any, t reflect.Type, depth int) (any, error) {
	if depth > term.MaxDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", term.MaxDepth)
	}
	if t.Kind() == reflect.Interface || term.IsOwnType(t) {
		return v, nil
	}
	switch t.Kind() {
	case reflect.String:
		s, ok := erlText(v)
		if !ok {
			return v, nil
		}
		return reflect.ValueOf(s).Convert(t).Interface(), nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			if b, ok := erlBytes(v); ok {
				return reflect.ValueOf(b).Convert(t).Interface(), nil
			}
			return v, nil
		}
		l, ok := v.([]any)
		if !ok {
			return v, nil
		}
		out := reflect.MakeSlice(t, len(l), len(l))
		for i, e := range l {
			if err := setElem(out.Index(i), e, depth); err != nil {
				return nil, fmt.Errorf("element %d: %w", i+1, err)
			}
		}
		return out.Interface(), nil
	case reflect.Array:
		l, ok := v.([]any)
		if !ok || len(l) != t.Len() {
			return v, nil
		}
		out := reflect.New(t).Elem()
		for i, e := range l {
			if err := setElem(out.Index(i), e, depth); err != nil {
				return nil, fmt.Errorf("element %d: %w", i+1, err)
			}
		}
		return out.Interface(), nil
	case reflect.Map:
		var pairs term.Map
		switch m := v.(type) {
		case map[any]any:
			for k, x := range m {
				pairs = append(pairs, term.Pair{Key: k, Value: x})
			}
		case term.Map:
			pairs = m
		default:
			return v, nil
		}
		out := reflect.MakeMapWithSize(t, len(pairs))
		for _, p := range pairs {
			k := reflect.New(t.Key()).Elem()
			if err := setElem(k, p.Key, depth); err != nil {
				return nil, fmt.Errorf("key %s: %w", clip(p.Key), err)
			}
			x := reflect.New(t.Elem()).Elem()
			if err := setElem(x, p.Value, depth); err != nil {
				return nil, fmt.Errorf("[%s]: %w", clip(p.Key), err)
			}
			out.SetMapIndex(k, x)
		}
		return out.Interface(), nil
	}
	return v, nil
}

// setElem converts e to dst's type and stores it, with Entry's rules for
// what fromErlang leaves as it is.
func setElem(dst reflect.Value, e any, depth int) error {
	c, err := fromErlang(e, dst.Type(), depth+1)
	if err != nil {
		return err
	}
	out, err := node.ConvertArg(c, dst.Type())
	if err != nil {
		return err
	}
	dst.Set(out)
	return nil
}

// erlText reads Erlang text: a binary, a charlist (code points), an atom.
func erlText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	case term.Atom:
		return string(x), true
	case []any:
		b := make([]byte, 0, len(x))
		for _, e := range x {
			c, ok := e.(int)
			if !ok || c < 0 || c > utf8.MaxRune || (c >= 0xD800 && c <= 0xDFFF) {
				return "", false
			}
			b = utf8.AppendRune(b, rune(c))
		}
		return string(b), true
	}
	return "", false
}

// erlBytes reads bytes: a binary, a string, a list of integers 0-255.
func erlBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case string:
		return []byte(x), true
	case []any:
		b := make([]byte, len(x))
		for i, e := range x {
			c, ok := e.(int)
			if !ok || c < 0 || c > 255 {
				return nil, false
			}
			b[i] = byte(c)
		}
		return b, true
	}
	return nil, false
}
