package server

import (
	"fmt"
	"reflect"
	"unicode"
	"unicode/utf8"

	"github.com/gerl-dev/gerl/node/term"
)

// The server's state is its Behaviour value (for a type of the
// interpreter, the value inside yaegi's wrapper, see interp.go): sys reads
// it, replaces it, and a code change moves it to a new version's type.

// stateOf returns the value holding b's state.
func stateOf(b Behaviour) any {
	if w, ok := b.(interpreted); ok {
		return w.value()
	}
	return b
}

// SystemState implements sys.Special.
func (s *state) SystemState() any { return stateOf(s.b) }

// SystemReplaceState implements sys.Special: fn gets the state and returns
// the new one: the same value changed, or another value of its type whose
// contents replace the state's (or, for a compiled Go server, any
// Behaviour, which replaces the server's).
func (s *state) SystemReplaceState(fn func(any) any) (result any, err error) {
	cur := stateOf(s.b)
	defer func() {
		if r := recover(); r != nil {
			result, err = nil, fmt.Errorf("the function panicked: %s", term.Format(term.PanicReason(r)))
		}
	}()
	next := fn(cur)
	cv, nv := reflect.ValueOf(cur), reflect.ValueOf(next)
	switch {
	case next == nil:
		return nil, fmt.Errorf("the function returned nil, not a state")
	case cv.Kind() == reflect.Pointer && cv.Type() == nv.Type():
		if cv.Pointer() != nv.Pointer() {
			cv.Elem().Set(nv.Elem())
		}
		return cur, nil
	}
	if _, wrapped := s.b.(interpreted); !wrapped {
		if b, ok := next.(Behaviour); ok {
			s.b = b
			return next, nil
		}
	}
	return nil, fmt.Errorf("the function returned a %T; the state is a %T", next, cur)
}

// SystemCodeChange implements sys.Special: Options.Upgrade gives a value of
// the newest version, the old state's fields move into it, its CodeChange
// (if any) does the rest, and it becomes the server's Behaviour.
func (s *state) SystemCodeChange() (err error) {
	if s.opts.Upgrade == nil {
		return fmt.Errorf("server %s cannot change code: it was not started from a module's factory", s.name)
	}
	nb, err := s.opts.Upgrade()
	if err != nil {
		return fmt.Errorf("server %s: new version: %w", s.name, err)
	}
	if nb == nil {
		return fmt.Errorf("server %s: the factory returned nil", s.name)
	}
	old := stateOf(s.b)
	_, interp := s.b.(interpreted)
	fields := fieldsOf(old, interp)
	moveFields(old, stateOf(nb))
	if u, ok := nb.(Upgrader); ok {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("server %s: CodeChange panicked: %s", s.name, term.Format(term.PanicReason(r)))
			}
		}()
		if err := u.CodeChange(fields); err != nil {
			return fmt.Errorf("server %s: CodeChange: %w", s.name, err)
		}
	}
	s.b = nb
	return nil
}

// structOf returns the struct a state is (or points to), settable, or
// false.
func structOf(v any) (reflect.Value, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	return rv.Elem(), true
}

// moveFields copies into to's fields those of from with the same name
// and a type they can take.
func moveFields(from, to any) {
	f, ok1 := structOf(from)
	t, ok2 := structOf(to)
	if !ok1 || !ok2 {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		tf := t.Type().Field(i)
		ff, ok := f.Type().FieldByName(tf.Name)
		dst := t.Field(i)
		if !ok || !dst.CanSet() || len(ff.Index) != 1 {
			continue
		}
		src := f.Field(ff.Index[0])
		if !src.CanInterface() {
			continue
		}
		if src.Type().AssignableTo(dst.Type()) {
			dst.Set(src)
		}
	}
}

// fieldsOf returns a state's fields by name, as CodeChange gets them. The
// interpreter gives an unexported field f the Go name Xf; interp says to
// take that X away.
func fieldsOf(v any, interp bool) map[string]any {
	out := map[string]any{}
	st, ok := structOf(v)
	if !ok {
		return out
	}
	for i := 0; i < st.NumField(); i++ {
		f := st.Type().Field(i)
		if f.Anonymous || !st.Field(i).CanInterface() {
			continue
		}
		name := f.Name
		if interp && len(name) > 1 && name[0] == 'X' {
			if r, _ := utf8.DecodeRuneInString(name[1:]); unicode.IsLower(r) || r == '_' {
				name = name[1:]
			}
		}
		out[name] = st.Field(i).Interface()
	}
	return out
}
