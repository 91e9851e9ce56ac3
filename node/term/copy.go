package term

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
)

// MaxDepth is the deepest nesting of containers a term may have. It bounds
// the recursion of Copy and of the wire decoder, and stops cyclic values
// (a []any that contains itself) with an error instead of a crash.
const MaxDepth = 512

// ErrUnsendable is matched (with errors.Is) by every error Copy returns.
var ErrUnsendable = errors.New("value cannot be sent")

// UnsendableError says which part of a message cannot be sent and why.
type UnsendableError struct {
	Type string // the Go type that cannot be sent
	Path string // where it sits in the message: msg, msg[2], msg["k"], msg.Reason
	Why  string
}

func (e *UnsendableError) Error() string {
	return fmt.Sprintf("cannot send %s at %s: %s", e.Type, e.Path, e.Why)
}

// Is makes errors.Is(err, ErrUnsendable) true.
func (e *UnsendableError) Is(target error) bool { return target == ErrUnsendable }

// Copy returns a deep copy of v in canonical form, or an *UnsendableError
// when v holds something that cannot be sent (see the package doc). It never
// panics and never returns a partial copy. Copy is safe for concurrent use.
func Copy(v any) (any, error) {
	out, err := copyAny(v, 0)
	if err != nil {
		return nil, finishPath(err)
	}
	return out, nil
}

// pathError accumulates the path of an unsendable value while the recursion
// unwinds; finishPath turns it into the exported error.
type pathError struct {
	typ, why string
	rev      []string // path elements, innermost first
}

func (e *pathError) Error() string { return e.why }

func finishPath(err error) error {
	pe, ok := err.(*pathError)
	if !ok {
		return err
	}
	path := "msg"
	for i := len(pe.rev) - 1; i >= 0; i-- {
		path += pe.rev[i]
	}
	return &UnsendableError{Type: pe.typ, Path: path, Why: pe.why}
}

func unsendable(t string, why string) error { return &pathError{typ: t, why: why} }

func at(err error, elem string) error {
	if pe, ok := err.(*pathError); ok {
		pe.rev = append(pe.rev, elem)
	}
	return err
}

func index(i int) string { return "[" + strconv.Itoa(i) + "]" }

func tooDeep() error {
	return unsendable("value", fmt.Sprintf("nested deeper than %d levels (a value that contains itself?)", MaxDepth))
}

// copyAny is the fast path for the types messages are usually made of; it
// falls back to reflection for typed containers and named types.
func copyAny(v any, depth int) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, int, int64, float64, Atom, Pid, Ref, Name, NodeUp,
		int8, int16, int32, uint, uint8, uint16, uint32, uint64, float32, BigInt:
		return v, nil
	case Tuple:
		if depth >= MaxDepth {
			return nil, tooDeep()
		}
		return copySlice(x, depth)
	case []any:
		if depth >= MaxDepth {
			return nil, tooDeep()
		}
		if x == nil {
			return x, nil
		}
		return copySlice(x, depth)
	}
	return copyOther(v, depth)
}

// copyOther is copyAny for the values that are neither scalars nor
// slices of terms. It is a function of its own so that copyAny's frame
// stays small: every send runs copyAny, on the sender's stack, once per
// level of the message (a frame of 952 bytes made a hibernated process's
// first send after each wake-up grow its new 2 KB stack).
//
//go:noinline
func copyOther(v any, depth int) (any, error) {
	switch x := v.(type) {
	case BitString, ImproperList, Map, Opaque:
		return copyErlang(x, depth)
	case []byte:
		if x == nil {
			return x, nil
		}
		return append(make([]byte, 0, len(x)), x...), nil
	case map[string]any:
		if depth >= MaxDepth {
			return nil, tooDeep()
		}
		if x == nil {
			return x, nil
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := copyAny(e, depth+1)
			if err != nil {
				return nil, at(err, "["+strconv.Quote(k)+"]")
			}
			out[k] = c
		}
		return out, nil
	case Down:
		r, err := copyAny(x.Reason, depth+1)
		if err != nil {
			return nil, at(err, ".Reason")
		}
		x.Reason = r
		return x, nil
	case ExitSignal:
		r, err := copyAny(x.Reason, depth+1)
		if err != nil {
			return nil, at(err, ".Reason")
		}
		x.Reason = r
		return x, nil
	case NodeDown:
		r, err := copyAny(x.Reason, depth+1)
		if err != nil {
			return nil, at(err, ".Reason")
		}
		x.Reason = r
		return x, nil
	case Request:
		r, err := copyAny(x.Body, depth+1)
		if err != nil {
			return nil, at(err, ".Body")
		}
		x.Body = r
		if x.Tag != nil {
			if x.Tag, err = copyAny(x.Tag, depth+1); err != nil {
				return nil, at(err, ".Tag")
			}
		}
		return x, nil
	case Reply:
		r, err := copyAny(x.Value, depth+1)
		if err != nil {
			return nil, at(err, ".Value")
		}
		x.Value = r
		if x.Tag != nil {
			if x.Tag, err = copyAny(x.Tag, depth+1); err != nil {
				return nil, at(err, ".Tag")
			}
		}
		return x, nil
	}
	if depth >= MaxDepth {
		return nil, tooDeep()
	}
	rv := reflect.ValueOf(v)
	ct, err := Canonical(rv.Type())
	if err != nil {
		return nil, err
	}
	out, err := copyValue(rv, ct, depth)
	if err != nil {
		return nil, err
	}
	return out.Interface(), nil
}

// copySlice copies a Tuple or []any, keeping its type.
func copySlice[S ~[]any](x S, depth int) (any, error) {
	out, v := newSlice[S](len(x))
	for i, e := range x {
		c, err := copyAny(e, depth+1)
		if err != nil {
			return nil, at(err, index(i))
		}
		out[i] = c
	}
	return v, nil
}

// copyValue copies rv into a value of ct, the canonical form of its type
// (checked by the caller: the elements of a checked container need no
// check of their own).
func copyValue(rv reflect.Value, ct reflect.Type, depth int) (reflect.Value, error) {
	t := rv.Type()
	if t == mapType {
		c, err := copyAny(rv.Interface(), depth)
		if err != nil {
			return reflect.Value{}, err
		}
		return reflect.ValueOf(c), nil
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if ct == t {
			return rv, nil
		}
		return rv.Convert(ct), nil
	case reflect.Struct:
		// Only gerl's own structs pass Canonical; copyAny knows them.
		c, err := copyAny(rv.Interface(), depth)
		if err != nil {
			return reflect.Value{}, err
		}
		return reflect.ValueOf(c), nil
	case reflect.Interface:
		if rv.IsNil() {
			return reflect.Zero(ct), nil
		}
		c, err := copyAny(rv.Elem().Interface(), depth)
		if err != nil {
			return reflect.Value{}, err
		}
		out := reflect.New(ct).Elem()
		if c != nil {
			out.Set(reflect.ValueOf(c))
		}
		return out, nil
	}
	if depth >= MaxDepth {
		return reflect.Value{}, tooDeep()
	}
	switch t.Kind() {
	case reflect.Slice:
		if rv.IsNil() {
			return reflect.Zero(ct), nil
		}
		n := rv.Len()
		out := reflect.MakeSlice(ct, n, n)
		if err := copyElems(out, rv, depth); err != nil {
			return reflect.Value{}, err
		}
		return out, nil
	case reflect.Array:
		out := reflect.New(ct).Elem()
		if err := copyElems(out, rv, depth); err != nil {
			return reflect.Value{}, err
		}
		return out, nil
	case reflect.Map:
		if rv.IsNil() {
			return reflect.Zero(ct), nil
		}
		out := reflect.MakeMapWithSize(ct, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			k, err := copyKey(iter.Key(), ct.Key())
			if err != nil {
				return reflect.Value{}, at(err, "[key "+Format(iter.Key().Interface())+"]")
			}
			e, err := copyValue(iter.Value(), ct.Elem(), depth+1)
			if err != nil {
				return reflect.Value{}, at(err, "["+Format(iter.Key().Interface())+"]")
			}
			out.SetMapIndex(k, e)
		}
		return out, nil
	}
	// Canonical rejects every other kind.
	return reflect.Value{}, unsendable(t.String(), "unsupported type")
}

// copyElems copies the elements of a slice or array src into dst, whose
// element type is the canonical form of src's.
func copyElems(dst, src reflect.Value, depth int) error {
	st, dt := src.Type().Elem(), dst.Type().Elem()
	if st == dt && isScalarKind(st.Kind()) {
		reflect.Copy(dst, src)
		return nil
	}
	for i := 0; i < src.Len(); i++ {
		e, err := copyValue(src.Index(i), dt, depth+1)
		if err != nil {
			return at(err, index(i))
		}
		dst.Index(i).Set(e)
	}
	return nil
}

// copyKey checks and converts a map key to the canonical key type kt.
func copyKey(k reflect.Value, kt reflect.Type) (reflect.Value, error) {
	if k.Kind() == reflect.Interface {
		if k.IsNil() {
			return reflect.Zero(kt), nil
		}
		k = k.Elem()
	}
	ck, err := Canonical(k.Type())
	if err != nil {
		return reflect.Value{}, err
	}
	if !IsKeyType(ck) {
		return reflect.Value{}, unsendable(k.Type().String(), "map keys must be bools, numbers, strings, atoms, pids, refs or BigInts (use term.Map for other keys)")
	}
	k = k.Convert(ck)
	if kt.Kind() == reflect.Interface {
		out := reflect.New(kt).Elem()
		out.Set(k)
		return out, nil
	}
	return k, nil
}

func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// basicType returns the predeclared Go type of a scalar kind, or nil.
func basicType(k reflect.Kind) reflect.Type {
	switch k {
	case reflect.Bool:
		return reflect.TypeFor[bool]()
	case reflect.String:
		return reflect.TypeFor[string]()
	case reflect.Float32:
		return reflect.TypeFor[float32]()
	case reflect.Float64:
		return reflect.TypeFor[float64]()
	case reflect.Int:
		return reflect.TypeFor[int]()
	case reflect.Int8:
		return reflect.TypeFor[int8]()
	case reflect.Int16:
		return reflect.TypeFor[int16]()
	case reflect.Int32:
		return reflect.TypeFor[int32]()
	case reflect.Int64:
		return reflect.TypeFor[int64]()
	case reflect.Uint:
		return reflect.TypeFor[uint]()
	case reflect.Uint8:
		return reflect.TypeFor[uint8]()
	case reflect.Uint16:
		return reflect.TypeFor[uint16]()
	case reflect.Uint32:
		return reflect.TypeFor[uint32]()
	case reflect.Uint64:
		return reflect.TypeFor[uint64]()
	}
	return nil
}

// Canonical returns the type a value of type t has after it is sent: t itself
// for gerl's types and unnamed types built from sendable parts, the
// underlying predeclared type for other named scalars, and the same shape
// rebuilt from canonical parts for named containers. It returns an error for
// types that cannot be sent. The distribution codec uses it to describe
// typed containers on the wire.
func Canonical(t reflect.Type) (reflect.Type, error) {
	return canonical(t, 0)
}

// canonical is Canonical with the depth of t in the type being checked,
// which stops recursive named types (type M map[string]M).
func canonical(t reflect.Type, depth int) (reflect.Type, error) {
	if depth > MaxDepth {
		return nil, unsendable(t.String(), "type nested deeper than MaxDepth (a recursive type?)")
	}
	if IsOwnType(t) {
		return t, nil
	}
	k := t.Kind()
	if bt := basicType(k); bt != nil {
		return bt, nil
	}
	switch k {
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return anyType, nil
		}
		return nil, unsendable(t.String(), "only the empty interface (any) can hold a message part")
	case reflect.Slice:
		e, err := canonical(t.Elem(), depth+1)
		if err != nil {
			return nil, err
		}
		if t.Name() == "" && e == t.Elem() {
			return t, nil
		}
		return reflect.SliceOf(e), nil
	case reflect.Array:
		e, err := canonical(t.Elem(), depth+1)
		if err != nil {
			return nil, err
		}
		if t.Name() == "" && e == t.Elem() {
			return t, nil
		}
		return reflect.ArrayOf(t.Len(), e), nil
	case reflect.Map:
		kt, err := canonical(t.Key(), depth+1)
		if err != nil {
			return nil, err
		}
		if !IsKeyType(kt) {
			return nil, unsendable(t.String(), "map keys must be bools, numbers, strings, atoms, pids, refs or BigInts (use term.Map for other keys)")
		}
		e, err := canonical(t.Elem(), depth+1)
		if err != nil {
			return nil, err
		}
		if t.Name() == "" && kt == t.Key() && e == t.Elem() {
			return t, nil
		}
		return reflect.MapOf(kt, e), nil
	}
	return nil, unsendable(t.String(), whyNot(t))
}

// bigIntPtrType is *big.Int, which whyNot points to BigInt.
var bigIntPtrType = reflect.TypeFor[*big.Int]()

func whyNot(t reflect.Type) string {
	if t == bigIntPtrType || t == bigIntPtrType.Elem() {
		return "send the integer as a BigInt, which is exact and immutable: NewBigInt(x)"
	}
	switch t.Kind() {
	case reflect.Chan:
		return "channels are shared memory; send a pid and let the receiver reply"
	case reflect.Func:
		return "functions cannot be copied to another process; spawn the function instead, or send a module function's name"
	case reflect.Pointer, reflect.UnsafePointer, reflect.Uintptr:
		return "pointers would share memory between processes; send the value itself"
	case reflect.Struct:
		return "struct types are not terms; send a Tuple or a map (e.g. map[string]any{...})"
	case reflect.Complex64, reflect.Complex128:
		return "complex numbers are not terms; send the real and imaginary parts"
	}
	return "unsupported type"
}
