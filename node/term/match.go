package term

import "reflect"

// Patterns, for a selective receive that reads like erl's
//
//	receive {reply, Ref, V} -> V after 1000 -> timeout end
//
// which gerl writes receive(T(A("reply"), ref, Any), 1000). A pattern is
// a value that a message matches:
//
//   - Any matches every message (erl's _ or an unbound variable);
//   - a Tuple matches a Tuple of the same size whose elements match its
//     elements, and a []any a []any in the same way;
//   - a Down, ExitSignal, NodeUp, NodeDown, Request or Reply matches a
//     message of that type whose fields match the pattern's fields that
//     are set: Down{Ref: ref} is any Down of that monitor;
//   - a func(any) bool (a guard) matches the messages it returns true
//     for;
//   - any other value matches a message equal to it, of the same type:
//     A("ping") matches the atom ping, not the string "ping"; 1 matches the
//     int 1, not int64(1) nor 1.0 (erl's =:=).

// Wildcard is the type of Any.
type Wildcard struct{}

// Any is the pattern every value matches.
var Any = Wildcard{}

// String is how Any prints: erl's _.
func (Wildcard) String() string { return "_" }

// Match reports whether v matches pattern (see the rules above). Safe for
// concurrent use; a guard is called on the calling goroutine.
func Match(pattern, v any) bool {
	switch p := pattern.(type) {
	case Wildcard:
		return true
	case func(any) bool:
		return p(v)
	case Tuple:
		t, ok := v.(Tuple)
		return ok && matchAll(p, t)
	case []any:
		l, ok := v.([]any)
		return ok && matchAll(p, l)
	case Down, ExitSignal, NodeUp, NodeDown, Request, Reply:
		return matchFields(reflect.ValueOf(p), reflect.ValueOf(v))
	case nil:
		return v == nil
	}
	return reflect.TypeOf(pattern) == reflect.TypeOf(v) && reflect.DeepEqual(pattern, v)
}

func matchAll(ps, vs []any) bool {
	if len(ps) != len(vs) {
		return false
	}
	for i := range ps {
		if !Match(ps[i], vs[i]) {
			return false
		}
	}
	return true
}

// matchFields matches a message struct against a pattern of its type: the
// pattern's fields that are not zero must match.
func matchFields(p, v reflect.Value) bool {
	if p.Type() != v.Type() {
		return false
	}
	for i := range p.NumField() {
		f := p.Field(i)
		if f.IsZero() {
			continue
		}
		if !Match(f.Interface(), v.Field(i).Interface()) {
			return false
		}
	}
	return true
}
