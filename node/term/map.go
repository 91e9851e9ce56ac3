package term

import "reflect"

// Map is an Erlang map as a list of key-value pairs: what a Go receiver
// gets for a map with a key Go cannot use as a map key, a tuple, a list, a
// map or a binary with a bit count not a multiple of 8 (for example the
// #{{connection_id, Node} => N} in global's init_connect message). Maps
// whose keys are all scalars arrive as map[any]any instead.
//
// The pairs keep the order they arrived in (Erlang's maps have no order a
// program can rely on), and keys are expected to be distinct. Map{{K, V}}
// is written with the composite literal; Get looks a key up.
type Map []Pair

// Pair is one entry of a Map.
type Pair struct {
	Key   any
	Value any
}

// Get returns the value of the first pair whose key is deeply equal to
// key (reflect.DeepEqual: same Go types and values), and whether there is
// one. It takes time proportional to the number of pairs.
func (m Map) Get(key any) (any, bool) {
	for _, p := range m {
		if reflect.DeepEqual(p.Key, key) {
			return p.Value, true
		}
	}
	return nil, false
}
