package term

import "reflect"

// copyErlang copies the term types that come from Erlang: bit strings,
// improper lists and pair maps, checking the rules their docs state.
func copyErlang(v any, depth int) (any, error) {
	if depth >= MaxDepth {
		return nil, tooDeep()
	}
	switch x := v.(type) {
	case Opaque:
		if x.kind == 0 {
			return nil, unsendable("term.Opaque", "the zero Opaque holds no term (an Opaque is a fun or port received from Erlang)")
		}
		return x, nil
	case BitString:
		if err := x.Check(); err != nil {
			return nil, unsendable("term.BitString", err.Error())
		}
		b := append(make([]byte, 0, len(x.Bytes)), x.Bytes...)
		b[len(b)-1] = x.LastByte()
		return BitString{Bytes: b, TailBits: x.TailBits}, nil
	case ImproperList:
		if err := x.Check(); err != nil {
			return nil, unsendable("term.ImproperList", err.Error())
		}
		elems, err := copySlice(x.Elems, depth)
		if err != nil {
			return nil, at(err, ".Elems")
		}
		tail, err := copyAny(x.Tail, depth+1)
		if err != nil {
			return nil, at(err, ".Tail")
		}
		return ImproperList{Elems: elems.([]any), Tail: tail}, nil
	case Map:
		if x == nil {
			return x, nil
		}
		out := make(Map, len(x))
		for i, p := range x {
			k, err := copyAny(p.Key, depth+1)
			if err != nil {
				return nil, at(err, index(i)+".Key")
			}
			e, err := copyAny(p.Value, depth+1)
			if err != nil {
				return nil, at(err, index(i)+".Value")
			}
			out[i] = Pair{Key: k, Value: e}
		}
		return out, nil
	}
	return nil, unsendable(reflect.TypeOf(v).String(), "unsupported type")
}
