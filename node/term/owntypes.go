package term

import "reflect"

// gerl's own types are the named types of this package that keep their
// identity when sent: Copy keeps them as they are (its fast path copies
// the ones that hold terms), and the distribution codec gives each its own
// wire form. ownTypes is the one list of them; Copy, Canonical and the
// codec (package cluster) all consult it. A new own type is added here,
// then given its copy in copyAny (copy.go) and its encoding and decoding
// in the codec; nothing else lists them.
var ownTypes = [...]reflect.Type{
	atomType, pidType, refType, tupleType, nameType,
	downType, exitType, nodeUpType, nodeDownType, callType, replyType,
	bigIntType, opaqueType, bitStringType, improperType, mapType,
}

var (
	anyType   = reflect.TypeFor[any]()
	atomType  = reflect.TypeFor[Atom]()
	pidType   = reflect.TypeFor[Pid]()
	refType   = reflect.TypeFor[Ref]()
	tupleType = reflect.TypeFor[Tuple]()

	nameType     = reflect.TypeFor[Name]()
	downType     = reflect.TypeFor[Down]()
	exitType     = reflect.TypeFor[ExitSignal]()
	nodeUpType   = reflect.TypeFor[NodeUp]()
	nodeDownType = reflect.TypeFor[NodeDown]()
	callType     = reflect.TypeFor[Request]()
	replyType    = reflect.TypeFor[Reply]()

	bigIntType    = reflect.TypeFor[BigInt]()
	opaqueType    = reflect.TypeFor[Opaque]()
	bitStringType = reflect.TypeFor[BitString]()
	improperType  = reflect.TypeFor[ImproperList]()
	mapType       = reflect.TypeFor[Map]()
)

// OwnTypes returns gerl's own types (see above), in a new slice.
func OwnTypes() []reflect.Type { return append([]reflect.Type(nil), ownTypes[:]...) }

// IsOwnType reports whether t is one of gerl's own types.
func IsOwnType(t reflect.Type) bool {
	for _, o := range ownTypes {
		if t == o {
			return true
		}
	}
	return false
}

// OwnTypeNamed returns the own type whose name (as reflect gives it, e.g.
// "Pid") is name.
func OwnTypeNamed(name string) (reflect.Type, bool) {
	for _, o := range ownTypes {
		if o.Name() == name {
			return o, true
		}
	}
	return nil, false
}

// IsKeyType reports whether values of the canonical type t may be map keys
// in a message: scalars, pids, refs, BigInts, Opaques (atoms are strings
// underneath), or any holding one of them. A term.Map takes keys of any kind.
func IsKeyType(t reflect.Type) bool {
	return t == anyType || t == pidType || t == refType || t == bigIntType || t == opaqueType ||
		isScalarKind(t.Kind())
}
