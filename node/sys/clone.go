package sys

import (
	"fmt"
	"reflect"

	"github.com/gerl-dev/gerl/node/term"
)

// Clone returns a deep copy of v: pointers, structs, slices, arrays, maps
// and interfaces are copied all the way down (a value reached twice is
// copied once, so cycles and sharing are kept); functions and channels are
// shared, as they cannot be copied. It is how GetState gives away a
// server's state without sharing its memory. The unexported fields of
// compiled Go types, which reflect cannot set, are copied as they are
// (shallow); the interpreter's types have none.
func Clone(v any) (out any, err error) {
	if v == nil {
		return nil, nil
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("cannot copy the state (%T): %s", v, term.PanicText(fmt.Sprint(r)))
		}
	}()
	c := cloner{seen: map[uintptr]reflect.Value{}}
	return c.clone(reflect.ValueOf(v)).Interface(), nil
}

type cloner struct {
	seen map[uintptr]reflect.Value // pointers copied, by address
}

func (c *cloner) clone(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		if done, ok := c.seen[v.Pointer()]; ok {
			return done
		}
		out := reflect.New(v.Type().Elem())
		c.seen[v.Pointer()] = out
		out.Elem().Set(c.clone(v.Elem()))
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v) // unexported fields of compiled types: as they are
		for i := 0; i < v.NumField(); i++ {
			if out.Field(i).CanSet() {
				out.Field(i).Set(c.clone(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(c.clone(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(c.clone(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			out.SetMapIndex(c.clone(it.Key()), c.clone(it.Value()))
		}
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(c.clone(v.Elem()))
		return out
	}
	return v
}
