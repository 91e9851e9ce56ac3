package erldist

import (
	"math/bits"
	"strconv"
	"strings"
)

// Flags is a set of distribution flags (DFLAG_*), which each side of an
// Erlang distribution handshake advertises: the features it has, some of
// which the other side requires.
type Flags uint64

// The distribution flags (erts/doc/guides/erl_dist_protocol.md,
// "Distribution Flags"). Wire constants.
const (
	FlagPublished          Flags = 0x1       // the node is visible (in nodes()); without it, hidden
	FlagAtomCache          Flags = 0x2       // obsolete
	FlagExtendedReferences Flags = 0x4       // references of several words
	FlagDistMonitor        Flags = 0x8       // monitors across nodes
	FlagFunTags            Flags = 0x10      // funs have their own tag
	FlagDistMonitorName    Flags = 0x20      // monitors of registered names
	FlagHiddenAtomCache    Flags = 0x40      // obsolete
	FlagNewFunTags         Flags = 0x80      // NEW_FUN_EXT
	FlagExtendedPidsPorts  Flags = 0x100     // pids and ports of full size
	FlagExportPtrTag       Flags = 0x200     // EXPORT_EXT
	FlagBitBinaries        Flags = 0x400     // BIT_BINARY_EXT
	FlagNewFloats          Flags = 0x800     // NEW_FLOAT_EXT
	FlagUnicodeIO          Flags = 0x1000    // Unicode I/O
	FlagDistHdrAtomCache   Flags = 0x2000    // the distribution header's atom cache
	FlagSmallAtomTags      Flags = 0x4000    // SMALL_ATOM_EXT
	FlagUTF8Atoms          Flags = 0x10000   // UTF-8 atoms
	FlagMapTag             Flags = 0x20000   // MAP_EXT
	FlagBigCreation        Flags = 0x40000   // 32-bit creation numbers
	FlagSendSender         Flags = 0x80000   // SEND_SENDER control messages
	FlagBigSeqtraceLabels  Flags = 0x100000  // any term as a sequential trace label
	FlagExitPayload        Flags = 0x400000  // PAYLOAD_EXIT control messages
	FlagFragments          Flags = 0x800000  // fragmented messages
	FlagHandshake23        Flags = 0x1000000 // the version 6 handshake (OTP 23)
	FlagUnlinkID           Flags = 0x2000000 // the new link protocol (UNLINK_ID)
	FlagMandatory25Digest  Flags = 0x4000000 // stands for every flag OTP 25 makes mandatory
	FlagSpawn              Flags = 1 << 32   // SPAWN_REQUEST: remote spawn and erpc
	FlagNameMe             Flags = 1 << 33   // dynamic node names
	FlagV4NC               Flags = 1 << 34   // 64-bit pids, ports and references of up to 5 words
	FlagAlias              Flags = 1 << 35   // process aliases (ALIAS_SEND)
	FlagAltactSig          Flags = 1 << 37   // alternative action signals (OTP 28)
)

// Mandatory25 is the set of flags an OTP 25 node refuses a peer without
// (dist.hrl's MANDATORY_DFLAGS_25); FlagMandatory25Digest stands for it.
const Mandatory25 = FlagExtendedReferences | FlagFunTags | FlagExtendedPidsPorts | FlagUTF8Atoms |
	FlagNewFunTags | FlagBigCreation | FlagNewFloats | FlagMapTag | FlagExportPtrTag | FlagBitBinaries |
	FlagHandshake23

// Mandatory26 is what OTP 26 and later refuse a peer without.
const Mandatory26 = Mandatory25 | FlagV4NC | FlagUnlinkID

// Required is what gerl requires of an Erlang peer: OTP 26's mandatory set,
// which every node since OTP 24 has. A peer without one of them is
// refused with an error naming the missing flags.
const Required = Mandatory26

// DefaultFlags is what gerl advertises (with FlagPublished, unless the
// node is hidden): the mandatory set of OTP 26, monitors (also of names),
// remote spawn, aliases (gerl sends the reply to a gen_server call to the
// caller's alias, so a reply after the caller gave up is dropped; it makes
// no aliases of its own), Unicode I/O requests (gerl is the group leader
// of its rpcs on Erlang nodes, and prints their output), and the OTP 25
// digest flag. It asks for no atom
// cache, no fragments, no SEND_SENDER and no EXIT_PAYLOAD, which gerl
// does not implement.
const DefaultFlags = Mandatory26 | FlagDistMonitor | FlagDistMonitorName | FlagMandatory25Digest | FlagSpawn | FlagAlias | FlagUnicodeIO

// Expand returns f with the flags FlagMandatory25Digest stands for, as a
// peer means them.
func (f Flags) Expand() Flags {
	if f&FlagMandatory25Digest != 0 {
		f |= Mandatory25
	}
	return f
}

// Missing returns the flags of want that f lacks.
func (f Flags) Missing(want Flags) Flags { return want &^ f.Expand() }

var flagNames = map[Flags]string{
	FlagPublished: "PUBLISHED", FlagAtomCache: "ATOM_CACHE", FlagExtendedReferences: "EXTENDED_REFERENCES",
	FlagDistMonitor: "DIST_MONITOR", FlagFunTags: "FUN_TAGS", FlagDistMonitorName: "DIST_MONITOR_NAME",
	FlagHiddenAtomCache: "HIDDEN_ATOM_CACHE", FlagNewFunTags: "NEW_FUN_TAGS",
	FlagExtendedPidsPorts: "EXTENDED_PIDS_PORTS", FlagExportPtrTag: "EXPORT_PTR_TAG",
	FlagBitBinaries: "BIT_BINARIES", FlagNewFloats: "NEW_FLOATS", FlagUnicodeIO: "UNICODE_IO",
	FlagDistHdrAtomCache: "DIST_HDR_ATOM_CACHE", FlagSmallAtomTags: "SMALL_ATOM_TAGS",
	FlagUTF8Atoms: "UTF8_ATOMS", FlagMapTag: "MAP_TAG", FlagBigCreation: "BIG_CREATION",
	FlagSendSender: "SEND_SENDER", FlagBigSeqtraceLabels: "BIG_SEQTRACE_LABELS",
	FlagExitPayload: "EXIT_PAYLOAD", FlagFragments: "FRAGMENTS", FlagHandshake23: "HANDSHAKE_23",
	FlagUnlinkID: "UNLINK_ID", FlagMandatory25Digest: "MANDATORY_25_DIGEST", FlagSpawn: "SPAWN",
	FlagNameMe: "NAME_ME", FlagV4NC: "V4_NC", FlagAlias: "ALIAS", FlagAltactSig: "ALTACT_SIG",
}

// Names returns the names of the flags in f, lowest bit first, as OTP
// writes them (BIG_CREATION); an unknown bit is written as its value
// (0x200000).
func (f Flags) Names() []string {
	var out []string
	for f != 0 {
		bit := Flags(1) << bits.TrailingZeros64(uint64(f))
		f &^= bit
		if n, ok := flagNames[bit]; ok {
			out = append(out, n)
		} else {
			out = append(out, "0x"+strconv.FormatUint(uint64(bit), 16))
		}
	}
	return out
}

// String writes f as its names joined by |, or 0.
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	return strings.Join(f.Names(), "|")
}
