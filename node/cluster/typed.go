package cluster

import (
	"fmt"
	"reflect"

	"github.com/gerl-dev/gerl/node/term"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Typed values: every Go value a message may hold that has no native or
// own form (int8, []int, map[int]string, [2]int, a nil []any...) travels as
// a Typed extension, its canonical type's descriptor (typedesc.go) then the
// value encoded by that type, so that the decoder builds exactly the types
// term.Copy produces.

// typed encodes a value whose type has no native form: a Typed extension
// holding its canonical type and the value. A named type whose canonical
// type has a native form (type S string) is converted and encoded natively.
func (e *encoder) typed(rv reflect.Value, depth int) error {
	ct, err := term.Canonical(rv.Type())
	if err != nil {
		return err
	}
	if ct != rv.Type() && native(ct) {
		nilContainer := (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Map) && rv.IsNil()
		if !nilContainer {
			return e.term(rv.Convert(ct).Interface(), depth)
		}
	}
	if depth >= termMaxDepth {
		return errTooDeep
	}
	desc := e.c.desc(ct)
	start := e.beginExt32(extTyped)
	_ = e.enc.EncodeString(desc)
	if err := e.value(rv, ct, depth); err != nil {
		return err
	}
	e.endExt(start)
	return nil
}

// native reports whether values of canonical type t encode without a type
// descriptor (nil slices and maps aside): gerl's own types and the Go
// types msgpack has a form for.
func native(t reflect.Type) bool {
	switch t {
	case anyType, reflect.TypeFor[int](), reflect.TypeFor[string](), reflect.TypeFor[bool](),
		reflect.TypeFor[float64](), reflect.TypeFor[float32](), reflect.TypeFor[[]byte](),
		reflect.TypeFor[[]any](), reflect.TypeFor[map[string]any]():
		return true
	}
	return term.IsOwnType(t)
}

// value encodes rv as a value of canonical type t (rv's own type may be a
// named type with t as its canonical form).
func (e *encoder) value(rv reflect.Value, t reflect.Type, depth int) error {
	if t == anyType {
		if rv.Kind() == reflect.Interface {
			if rv.IsNil() {
				return e.enc.EncodeNil()
			}
			rv = rv.Elem()
		}
		return e.term(rv.Interface(), depth+1)
	}
	if term.IsOwnType(t) {
		if t == tupleType && rv.IsNil() {
			return e.enc.EncodeNil() // Copy keeps a nil Tuple inside a typed container
		}
		return e.term(rv.Interface(), depth+1)
	}
	switch t.Kind() {
	case reflect.Bool:
		return e.enc.EncodeBool(rv.Bool())
	case reflect.String:
		return e.enc.EncodeString(rv.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.enc.EncodeInt(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return e.enc.EncodeUint(rv.Uint())
	case reflect.Float32:
		return e.enc.EncodeFloat32(float32(rv.Float()))
	case reflect.Float64:
		return e.enc.EncodeFloat64(rv.Float())
	}
	if depth+1 >= termMaxDepth {
		return errTooDeep
	}
	switch t.Kind() {
	case reflect.Slice:
		if rv.IsNil() {
			return e.enc.EncodeNil()
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return e.enc.EncodeBytes(rv.Bytes())
		}
		return e.elems(rv, t.Elem(), depth)
	case reflect.Array:
		return e.elems(rv, t.Elem(), depth)
	case reflect.Map:
		if rv.IsNil() {
			return e.enc.EncodeNil()
		}
		_ = e.enc.EncodeMapLen(rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			if err := e.value(iter.Key(), t.Key(), depth+1); err != nil {
				return err
			}
			if err := e.value(iter.Value(), t.Elem(), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("cannot encode %s", t)
}

func (e *encoder) elems(rv reflect.Value, et reflect.Type, depth int) error {
	n := rv.Len()
	_ = e.enc.EncodeArrayLen(n)
	for i := 0; i < n; i++ {
		if err := e.value(rv.Index(i), et, depth+1); err != nil {
			return err
		}
	}
	return nil
}

var (
	anyType   = reflect.TypeFor[any]()
	tupleType = reflect.TypeFor[term.Tuple]()
)

// maxGoBytesPerWireByte bounds the memory the typed values (slices,
// arrays, maps of Go types) of one frame may take, per byte of the frame:
// every element costs at least one byte on the wire, and the largest
// honest ratio, [N][M]any counted once for the outer array and once for
// each inner one, is 32. allocSlack is added for small frames.
const (
	maxGoBytesPerWireByte = 64
	allocSlack            = 64 << 10
)

// value decodes a value of canonical type t written by encoder.value.
func (d *decoder) value(t reflect.Type, depth int) (reflect.Value, error) {
	if depth > maxWireDepth {
		return reflect.Value{}, d.bad("nested too deep")
	}
	if t == anyType || term.IsOwnType(t) {
		v, err := d.term(depth + 1)
		if err != nil {
			return reflect.Value{}, err
		}
		out := reflect.New(t).Elem()
		if v == nil {
			if t != anyType && t != tupleType {
				return reflect.Value{}, d.bad("nil for %s", t)
			}
			return out, nil
		}
		rv := reflect.ValueOf(v)
		if t != anyType && rv.Type() != t {
			return reflect.Value{}, d.bad("%s for %s", rv.Type(), t)
		}
		out.Set(rv)
		return out, nil
	}
	c, err := d.peek()
	if err != nil {
		return reflect.Value{}, err
	}
	if t.Kind() == reflect.Array {
		// The length on the wire first: the array is allocated only for
		// a frame that holds that many elements.
		n, err := d.arrayLen()
		if err != nil {
			return reflect.Value{}, err
		}
		if n != t.Len() {
			return reflect.Value{}, d.bad("array of %d elements for %s", n, t)
		}
		if !d.holds(n, t.Elem()) || !d.charge(t.Size(), 1) {
			return reflect.Value{}, d.bad("%s is too large for a frame of %d bytes", t, len(d.buf))
		}
		out := reflect.New(t).Elem()
		return out, d.elems(out, t.Elem(), depth)
	}
	out := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Bool:
		if c != msgpcode.True && c != msgpcode.False {
			return reflect.Value{}, d.bad("want a bool")
		}
		b, _ := d.dec.DecodeBool()
		out.SetBool(b)
		return out, nil
	case reflect.String:
		s, err := d.str()
		out.SetString(s)
		return out, err
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := d.int()
		if err != nil {
			return reflect.Value{}, err
		}
		if out.OverflowInt(n) {
			return reflect.Value{}, d.bad("%d overflows %s", n, t)
		}
		out.SetInt(n)
		return out, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := d.uint()
		if err != nil {
			return reflect.Value{}, err
		}
		if out.OverflowUint(n) {
			return reflect.Value{}, d.bad("%d overflows %s", n, t)
		}
		out.SetUint(n)
		return out, nil
	case reflect.Float32:
		if c != msgpcode.Float {
			return reflect.Value{}, d.bad("want a float32")
		}
		f, _ := d.dec.DecodeFloat32()
		out.SetFloat(float64(f))
		return out, nil
	case reflect.Float64:
		if c != msgpcode.Double {
			return reflect.Value{}, d.bad("want a float64")
		}
		f, _ := d.dec.DecodeFloat64()
		out.SetFloat(f)
		return out, nil
	case reflect.Slice:
		if c == msgpcode.Nil {
			_ = d.dec.DecodeNil()
			return out, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			if !msgpcode.IsBin(c) {
				return reflect.Value{}, d.bad("want a binary")
			}
			b, err := d.dec.DecodeBytes()
			if err != nil {
				return reflect.Value{}, d.bad("%v", err)
			}
			return reflect.ValueOf(b).Convert(t), nil
		}
		n, err := d.arrayLen()
		if err != nil {
			return reflect.Value{}, err
		}
		if !d.holds(n, t.Elem()) || !d.charge(t.Elem().Size(), n) {
			return reflect.Value{}, d.bad("%d elements of %s are too large for a frame of %d bytes", n, t.Elem(), len(d.buf))
		}
		out = reflect.MakeSlice(t, n, n)
		return out, d.elems(out, t.Elem(), depth)
	case reflect.Map:
		if c == msgpcode.Nil {
			_ = d.dec.DecodeNil()
			return out, nil
		}
		n, err := d.mapLen()
		if err != nil {
			return reflect.Value{}, err
		}
		if !d.holds(n, t.Elem()) || !d.charge(t.Key().Size()+t.Elem().Size(), n) {
			return reflect.Value{}, d.bad("%d entries of %s are too large for a frame of %d bytes", n, t, len(d.buf))
		}
		out = reflect.MakeMapWithSize(t, n)
		for i := 0; i < n; i++ {
			k, err := d.value(t.Key(), depth+1)
			if err != nil {
				return reflect.Value{}, err
			}
			if t.Key() == anyType && !k.IsNil() && !term.IsKeyType(k.Elem().Type()) {
				return reflect.Value{}, d.bad("map key of type %s", k.Elem().Type())
			}
			v, err := d.value(t.Elem(), depth+1)
			if err != nil {
				return reflect.Value{}, err
			}
			out.SetMapIndex(k, v)
		}
		return out, nil
	}
	return reflect.Value{}, d.bad("cannot decode %s", t)
}

func (d *decoder) elems(out reflect.Value, et reflect.Type, depth int) error {
	for i := 0; i < out.Len(); i++ {
		v, err := d.value(et, depth+1)
		if err != nil {
			return err
		}
		out.Index(i).Set(v)
	}
	return nil
}

// holds reports whether the rest of the frame is long enough for n values
// of type t, each taking at least minWire(t) bytes.
func (d *decoder) holds(n int, t reflect.Type) bool {
	return n == 0 || uint64(minWire(t)) <= uint64(d.rd.Len())/uint64(n)
}

// minWire is the fewest bytes a value of type t takes on the wire: one,
// except for a fixed-size array, which holds all its elements.
func minWire(t reflect.Type) uint64 {
	if t.Kind() != reflect.Array {
		return 1
	}
	return min(1+uint64(t.Len())*minWire(t.Elem()), 1<<40)
}

// charge takes n values of size bytes each from what typed values may
// still allocate for this frame (see maxGoBytesPerWireByte), or reports
// that they would pass it.
func (d *decoder) charge(size uintptr, n int) bool {
	if n == 0 || size == 0 {
		return true
	}
	if uint64(size) > d.alloc/uint64(n) {
		return false
	}
	d.alloc -= uint64(size) * uint64(n)
	return true
}
