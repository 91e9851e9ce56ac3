package term

import (
	"errors"
	"reflect"
)

// ImproperList is an Erlang list whose tail is not a list: [a, b | c],
// written ImproperList{Elems: []any{A("a"), A("b")}, Tail: A("c")}. Go
// receivers get one for an improper list an Erlang node sends, such as the
// tag of a gen_server call, [alias | Ref]; sending it back gives Erlang the
// same list.
//
// Elems holds at least one element, and Tail is not a list (no slice or
// array other than a binary, and not an ImproperList): a list tail would
// make a proper, or a longer, list, which has its own Go form. Copy and
// the encoders refuse an ImproperList that breaks these rules.
type ImproperList struct {
	Elems []any
	Tail  any
}

// Improper builds the improper list [elems... | tail]. It is the terse form
// of ImproperList{Elems: elems, Tail: tail}.
func Improper(tail any, elems ...any) ImproperList {
	return ImproperList{Elems: elems, Tail: tail}
}

// Check returns an error saying why l is not a valid ImproperList (see
// the type's doc), or nil.
func (l ImproperList) Check() error {
	if len(l.Elems) == 0 {
		return errors.New("an improper list needs at least one element before its tail")
	}
	if isListValue(l.Tail) {
		return errors.New("the tail of an improper list cannot be a list; append its elements instead")
	}
	return nil
}

// isListValue reports whether v would be sent as a list: a slice or array
// other than a binary, or an ImproperList.
func isListValue(v any) bool {
	switch v.(type) {
	case nil, []byte, string, Tuple:
		return false
	case []any, ImproperList:
		return true
	}
	t := reflect.TypeOf(v)
	switch t.Kind() {
	case reflect.Slice:
		return t.Elem().Kind() != reflect.Uint8
	case reflect.Array:
		return true
	}
	return false
}
