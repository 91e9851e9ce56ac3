package term

// Opaque is an Erlang term gerl can hold but not look into: a fun, an
// export fun (fun lists:reverse/1) or a port. A Go receiver gets one for
// each of these; it can keep it (in a process's state, as a map key),
// compare it with ==, print it, and send it back to an Erlang node, which
// gets exactly the term it sent. gerl cannot call it, and cannot build one
// except from the bytes an Erlang node sent.
//
// An Opaque holds the term's External Term Format encoding (without the
// version byte). Between gerl nodes it travels as those bytes; the ETF
// package checks them when it decodes one and again when it sends one.
type Opaque struct {
	kind OpaqueKind
	text string // how erl prints it
	etf  string // the encoding, immutable
}

// OpaqueKind says what an Opaque holds.
type OpaqueKind uint8

// The kinds of Opaque. Wire constants: append only.
const (
	OpaqueFun    OpaqueKind = 1 // a fun with its environment: #Fun<erl_eval.42.3316493>
	OpaqueExport OpaqueKind = 2 // an export fun: fun lists:reverse/1
	OpaquePort   OpaqueKind = 3 // a port: #Port<a@vm.7>
)

// String names the kind: fun, export fun or port.
func (k OpaqueKind) String() string {
	switch k {
	case OpaqueFun:
		return "fun"
	case OpaqueExport:
		return "export fun"
	case OpaquePort:
		return "port"
	}
	return "opaque term"
}

// MakeOpaque returns the Opaque of kind that prints as text and whose
// External Term Format encoding (without the version byte) is etf. It is
// for codecs: it does not check etf, which etf.ParseOpaque does (gerl's
// encoders check it again before sending it to an Erlang node). etf is not
// retained.
func MakeOpaque(kind OpaqueKind, text string, etf []byte) Opaque {
	return Opaque{kind: kind, text: text, etf: string(etf)}
}

// Kind says what o holds.
func (o Opaque) Kind() OpaqueKind { return o.kind }

// String prints o as erl does (with node names where erl prints a node's
// number): #Fun<erl_eval.42.3316493>, fun lists:reverse/1, #Port<a@vm.7>.
func (o Opaque) String() string { return o.text }

// AppendETF appends o's External Term Format encoding, without the version
// byte, to dst.
func (o Opaque) AppendETF(dst []byte) []byte { return append(dst, o.etf...) }

// ETFLen returns the length of o's encoding.
func (o Opaque) ETFLen() int { return len(o.etf) }
