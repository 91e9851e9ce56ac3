package etf

// Version is the byte that starts every term encoded on its own
// (term_to_binary's output, and each term of a pass-through frame).
const Version = 131

// The tags of the External Term Format (erts/doc/guides/erl_ext_dist.md).
const (
	tagNewFloat       = 70  // NEW_FLOAT_EXT: IEEE 754 float64, big-endian
	tagBitBinary      = 77  // BIT_BINARY_EXT: Len:32, Bits:8, Data
	tagAtomCacheRef   = 82  // ATOM_CACHE_REF: refused (no atom cache is negotiated)
	tagNewPid         = 88  // NEW_PID_EXT: Node, ID:32, Serial:32, Creation:32
	tagNewPort        = 89  // NEW_PORT_EXT: Node, ID:32, Creation:32
	tagNewerReference = 90  // NEWER_REFERENCE_EXT: Len:16, Node, Creation:32, ID:32*Len
	tagSmallInteger   = 97  // SMALL_INTEGER_EXT: uint8
	tagInteger        = 98  // INTEGER_EXT: int32
	tagFloat          = 99  // FLOAT_EXT: 31 bytes of "%.20e" text
	tagAtom           = 100 // ATOM_EXT: Len:16, Latin-1
	tagReference      = 101 // REFERENCE_EXT: Node, ID:32, Creation:8
	tagPort           = 102 // PORT_EXT: Node, ID:32, Creation:8
	tagPid            = 103 // PID_EXT: Node, ID:32, Serial:32, Creation:8
	tagSmallTuple     = 104 // SMALL_TUPLE_EXT: Arity:8, Elements
	tagLargeTuple     = 105 // LARGE_TUPLE_EXT: Arity:32, Elements
	tagNil            = 106 // NIL_EXT: []
	tagString         = 107 // STRING_EXT: Len:16, bytes (a list of small integers)
	tagList           = 108 // LIST_EXT: Len:32, Elements, Tail
	tagBinary         = 109 // BINARY_EXT: Len:32, Data
	tagSmallBig       = 110 // SMALL_BIG_EXT: n:8, Sign:8, d(0)..d(n-1) little-endian
	tagLargeBig       = 111 // LARGE_BIG_EXT: n:32, Sign:8, digits
	tagNewFun         = 112 // NEW_FUN_EXT: Size:32, Arity, Uniq:128, Index:32, NumFree:32, Module, OldIndex, OldUniq, Pid, Free vars
	tagExport         = 113 // EXPORT_EXT: Module, Function, Arity (SMALL_INTEGER_EXT)
	tagNewReference   = 114 // NEW_REFERENCE_EXT: Len:16, Node, Creation:8, ID:32*Len
	tagSmallAtom      = 115 // SMALL_ATOM_EXT: Len:8, Latin-1
	tagMap            = 116 // MAP_EXT: Arity:32, Pairs
	tagFun            = 117 // FUN_EXT: refused (removed from OTP long ago)
	tagAtomUTF8       = 118 // ATOM_UTF8_EXT: Len:16, UTF-8
	tagSmallAtomUTF8  = 119 // SMALL_ATOM_UTF8_EXT: Len:8, UTF-8
	tagV4Port         = 120 // V4_PORT_EXT: Node, ID:64, Creation:32
	tagLocal          = 121 // LOCAL_EXT: refused (only meaningful to the node that made it)
	tagCompressed     = 80  // compressed term_to_binary output: refused
)

// maxAtomChars is the most characters an Erlang atom has.
const maxAtomChars = 255
