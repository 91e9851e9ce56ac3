package portmapper

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Requests of the EPMD protocol (erts/epmd/src/epmd.h): the first byte of
// a request body, Request.Op. They are wire constants: never renumber them.
const (
	OpAlive2      byte = 120 // 'x' ALIVE2_REQ: register a node
	OpPortPlease2 byte = 122 // 'z' PORT_PLEASE2_REQ: look a name up
	OpNames       byte = 110 // 'n' NAMES_REQ: list the names
	OpDump        byte = 100 // 'd' DUMP_REQ: list the registrations (local peers)
	OpKill        byte = 107 // 'k' KILL_REQ: stop the daemon (local peers)
	OpStop        byte = 115 // 's' STOP_REQ: unregister a name (local peers, relaxed daemons)
)

// Answer tags, wire constants too.
const (
	tagAlive2Resp  = 121 // 'y': 16-bit creation, for nodes with Highest < 6
	tagAlive2XResp = 118 // 'v': 32-bit creation, for nodes with Highest >= 6
	tagPort2Resp   = 119 // 'w'
)

// Results of ALIVE2, the second byte of its answer. Erlang's client reads
// any result but Alive2OK as a name clash (duplicate_name).
const (
	Alive2OK byte = 0
	// Alive2NameTaken is epmd's one refusal: the name is held by a live
	// node (or, never from a gerl client, which checks first, invalid).
	Alive2NameTaken byte = 1
	// Alive2TableFull is gerl's daemon's refusal when it holds as many
	// registrations as it allows: not a name clash, so told apart.
	Alive2TableFull byte = 2
)

// StopNotice is gerl's extension to the protocol for STOP: before closing
// a registration for a STOP request, gerl's daemon writes it to the
// connection if the node registered as a gerl node (Erlang nodes get the
// plain close epmd gives). It tells a gerl node's Keeper not to register
// again.
const StopNotice = "STOPPED"

// Limits, the same as the real daemon's so that both accept the same requests.
const (
	// MaxRequestLen is the largest request body (the bytes after the 2-byte
	// length) the daemon reads. epmd's input buffer is 3060 bytes, including
	// the length and a terminating NUL; it drops anything longer.
	MaxRequestLen = 3057
	// MaxNameChars is the longest node name, in UTF-8 characters.
	MaxNameChars = 255
	// MaxNameBytes is the longest node name in bytes (255 four-byte characters).
	MaxNameBytes = 4 * MaxNameChars
	// MaxExtraLen is the largest Extra field a node may register.
	MaxExtraLen = 1020
)

// Node types carried in ALIVE2 and PORT_PLEASE2.
const (
	NodeTypeNormal byte = 77 // 'M': a visible Erlang (or gerl) node
	NodeTypeHidden byte = 72 // 'H': a hidden node or C node
)

// ProtocolTCP is the only protocol value in use: TCP over IPv4 (Erlang sends
// it for IPv6 nodes too).
const ProtocolTCP byte = 0

// Sentinel errors of the protocol layer.
var (
	// ErrMalformed marks a request or response whose bytes do not follow the
	// protocol. The daemon closes such a connection without answering.
	ErrMalformed = errors.New("malformed port mapper message")
	// ErrInvalidName marks a node name the daemon refuses: empty, longer than
	// MaxNameChars characters, not UTF-8, or containing a control character.
	ErrInvalidName = errors.New("invalid node name")
)

// NodeInfo is what a node registers (ALIVE2) and what a lookup returns
// (PORT_PLEASE2). Name is the part of the node name before the '@'.
type NodeInfo struct {
	Name     string
	Port     int    // the node's distribution listen port
	Type     byte   // NodeTypeNormal or NodeTypeHidden
	Protocol byte   // ProtocolTCP
	Highest  uint16 // highest distribution version the node speaks
	Lowest   uint16 // lowest distribution version the node speaks
	Extra    []byte // free-form; gerl nodes put GerlExtra() here
}

// gerlMarker starts the Extra field of every gerl node; the digit after it is
// the version of gerl's own distribution protocol.
const gerlMarker = "gerl/"

// GerlExtra returns the Extra a gerl node registers with: "gerl/1". Erlang
// nodes register an empty Extra, so a client can tell the two apart before
// it tries a handshake (see NodeInfo.IsGerl). It returns a new slice each call.
func GerlExtra() []byte { return []byte(gerlMarker + "1") }

// IsGerl reports whether the node registered as a gerl node (its Extra
// starts with "gerl/").
func (n NodeInfo) IsGerl() bool { return bytes.HasPrefix(n.Extra, []byte(gerlMarker)) }

// ErrNotGerl is returned by NodeInfo.RequireGerl for a node that did not
// register as a gerl node, typically an Erlang node.
var ErrNotGerl = errors.New("not a gerl node")

// RequireGerl returns nil for a gerl node, and otherwise an error wrapping
// ErrNotGerl that says plainly what the node is, for the distribution layer
// to show instead of a failed handshake.
func (n NodeInfo) RequireGerl() error {
	if n.IsGerl() {
		return nil
	}
	kind := "an Erlang node"
	if len(n.Extra) > 0 {
		kind = "a node of another kind"
	}
	return fmt.Errorf("%s is %s (distribution versions %d..%d, extra %q), and gerl only connects to gerl nodes: %w",
		n.Name, kind, n.Lowest, n.Highest, n.Extra, ErrNotGerl)
}

// ValidateName checks a node name the way the daemon does before it accepts
// a registration: 1 to MaxNameChars characters of valid UTF-8, no NUL and no
// other control character. The error wraps ErrInvalidName.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrInvalidName)
	case len(name) > MaxNameBytes:
		return fmt.Errorf("%w: %d bytes long (at most %d)", ErrInvalidName, len(name), MaxNameBytes)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: not UTF-8", ErrInvalidName)
	}
	if n := utf8.RuneCountInString(name); n > MaxNameChars {
		return fmt.Errorf("%w: %d characters long (at most %d)", ErrInvalidName, n, MaxNameChars)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q contains control character %U", ErrInvalidName, name, r)
		}
	}
	return nil
}

// Validate checks a registration as the daemon does before accepting it: a
// valid name (ValidateName), a port that fits 16 bits and an Extra of at
// most MaxExtraLen bytes.
func (n NodeInfo) Validate() error {
	if err := ValidateName(n.Name); err != nil {
		return err
	}
	if n.Port < 0 || n.Port > 0xffff {
		return fmt.Errorf("node %s: port %d out of range", n.Name, n.Port)
	}
	if len(n.Extra) > MaxExtraLen {
		return fmt.Errorf("node %s: extra is %d bytes (at most %d)", n.Name, len(n.Extra), MaxExtraLen)
	}
	return nil
}

// Request is one parsed request. Op is one of the Op constants; Node is set
// for OpAlive2, Name for OpPortPlease2 and OpStop.
type Request struct {
	Op   byte
	Node NodeInfo
	Name string
}

// ParseRequest parses a request body (the bytes after the 2-byte length).
// It accepts exactly what epmd accepts structurally; errors wrap
// ErrMalformed, and the daemon answers them by closing the connection.
// A structurally sound ALIVE2 whose name is invalid parses without error:
// the daemon refuses it with an error result, as epmd does. ParseRequest
// never panics; it allocates only the copies of the fields it returns,
// which body bounds.
func ParseRequest(body []byte) (Request, error) {
	if len(body) == 0 {
		return Request{}, fmt.Errorf("%w: empty request", ErrMalformed)
	}
	if len(body) > MaxRequestLen {
		return Request{}, fmt.Errorf("%w: request of %d bytes (at most %d)", ErrMalformed, len(body), MaxRequestLen)
	}
	req := Request{Op: body[0]}
	switch body[0] {
	case OpAlive2:
		return parseAlive2(body)
	case OpPortPlease2, OpStop:
		name := body[1:]
		if req.Op == OpPortPlease2 && len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1] // old clients NUL-terminate the name
		}
		if len(name) == 0 {
			return Request{}, fmt.Errorf("%w: request %d without a name", ErrMalformed, req.Op)
		}
		if bytes.IndexByte(name, 0) >= 0 {
			return Request{}, fmt.Errorf("%w: name contains NUL", ErrMalformed)
		}
		req.Name = string(name)
		return req, nil
	case OpNames, OpDump, OpKill:
		return req, nil // epmd ignores any bytes after the tag
	default:
		return Request{}, fmt.Errorf("%w: unknown request %d", ErrMalformed, body[0])
	}
}

// parseAlive2 parses
//
//	120, Port:16, Type:8, Protocol:8, Highest:16, Lowest:16, Nlen:16, Name, Elen:16, Extra
//
// Bytes after Extra are ignored, as epmd does.
func parseAlive2(body []byte) (Request, error) {
	const fixed = 13 // tag + port + type + protocol + highest + lowest + nlen + elen
	if len(body) <= fixed {
		return Request{}, fmt.Errorf("%w: ALIVE2 of %d bytes", ErrMalformed, len(body))
	}
	nlen := int(binary.BigEndian.Uint16(body[9:]))
	if nlen == 0 {
		return Request{}, fmt.Errorf("%w: ALIVE2 without a name", ErrMalformed)
	}
	if nlen+fixed > len(body) {
		return Request{}, fmt.Errorf("%w: ALIVE2 name length %d exceeds the request", ErrMalformed, nlen)
	}
	name := body[11 : 11+nlen]
	elen := int(binary.BigEndian.Uint16(body[11+nlen:]))
	if elen+nlen+fixed > len(body) {
		return Request{}, fmt.Errorf("%w: ALIVE2 extra length %d exceeds the request", ErrMalformed, elen)
	}
	if bytes.IndexByte(name, 0) >= 0 {
		return Request{}, fmt.Errorf("%w: ALIVE2 name contains NUL", ErrMalformed)
	}
	extraAt := 13 + nlen
	return Request{Op: OpAlive2, Node: NodeInfo{
		Name:     string(name),
		Port:     int(binary.BigEndian.Uint16(body[1:])),
		Type:     body[3],
		Protocol: body[4],
		Highest:  binary.BigEndian.Uint16(body[5:]),
		Lowest:   binary.BigEndian.Uint16(body[7:]),
		Extra:    bytes.Clone(body[extraAt : extraAt+elen]),
	}}, nil
}

// AppendFrame appends the request, with its 2-byte length, to dst. The
// request must be one that ParseRequest accepts; fields are not validated.
func (r Request) AppendFrame(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, r.Op)
	switch r.Op {
	case OpAlive2:
		dst = r.Node.appendFields(dst)
	case OpPortPlease2, OpStop:
		dst = append(dst, r.Name...)
	}
	binary.BigEndian.PutUint16(dst[start:], uint16(len(dst)-start-2))
	return dst
}

// ReadRequest reads one length-prefixed request body from r, for
// ParseRequest. It checks the length against MaxRequestLen before
// allocating, and rejects a zero length; errors from a bad length or a
// connection closed inside a request wrap ErrMalformed, and io.EOF means
// the peer closed before sending anything.
func ReadRequest(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: connection closed inside the length", ErrMalformed)
		}
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if n == 0 || n > MaxRequestLen {
		return nil, fmt.Errorf("%w: request length %d (want 1..%d)", ErrMalformed, n, MaxRequestLen)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: connection closed inside a request of %d bytes", ErrMalformed, n)
		}
		return nil, err
	}
	return body, nil
}

// AppendAlive2Resp appends the answer to ALIVE2: the 32-bit form
// (ALIVE2_X_RESP) for nodes whose Highest version is 6 or more, the 16-bit
// form (ALIVE2_RESP) otherwise. A refusal (any result but Alive2OK) carries
// creation 99, byte for byte what epmd sends.
func AppendAlive2Resp(dst []byte, highest uint16, result byte, creation uint32) []byte {
	if result != Alive2OK {
		creation = 99
	}
	if highest >= 6 {
		dst = append(dst, tagAlive2XResp, result)
		return binary.BigEndian.AppendUint32(dst, creation)
	}
	dst = append(dst, tagAlive2Resp, result)
	return binary.BigEndian.AppendUint16(dst, uint16(creation))
}

// AppendPort2Resp appends the answer to PORT_PLEASE2: the node's fields, or
// just 119, 1 when the name is unknown (n == nil).
func AppendPort2Resp(dst []byte, n *NodeInfo) []byte {
	if n == nil {
		return append(dst, tagPort2Resp, 1)
	}
	return n.appendFields(append(dst, tagPort2Resp, 0))
}

// appendFields appends n as ALIVE2_REQ and PORT2_RESP both carry it: port,
// node type, protocol, highest and lowest version, then name and extra,
// each with a 2-byte length.
func (n *NodeInfo) appendFields(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(n.Port))
	dst = append(dst, n.Type, n.Protocol)
	dst = binary.BigEndian.AppendUint16(dst, n.Highest)
	dst = binary.BigEndian.AppendUint16(dst, n.Lowest)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(n.Name)))
	dst = append(dst, n.Name...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(n.Extra)))
	return append(dst, n.Extra...)
}

// readPort2Resp reads a PORT_PLEASE2 answer from r. ok is false when the
// daemon answered that the name is unknown. Every length is 16 bits, so a
// hostile daemon makes it allocate at most 128 KiB.
func readPort2Resp(r io.Reader) (info NodeInfo, ok bool, err error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return NodeInfo{}, false, err
	}
	if head[0] != tagPort2Resp {
		return NodeInfo{}, false, fmt.Errorf("%w: PORT_PLEASE2 answer starts with %d", ErrMalformed, head[0])
	}
	if head[1] != 0 {
		return NodeInfo{}, false, nil
	}
	var fixed [10]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return NodeInfo{}, false, err
	}
	name, err := readLenPrefixed(r, binary.BigEndian.Uint16(fixed[8:]))
	if err != nil {
		return NodeInfo{}, false, err
	}
	var elen [2]byte
	if _, err := io.ReadFull(r, elen[:]); err != nil {
		return NodeInfo{}, false, err
	}
	extra, err := readLenPrefixed(r, binary.BigEndian.Uint16(elen[:]))
	if err != nil {
		return NodeInfo{}, false, err
	}
	return NodeInfo{
		Name:     string(name),
		Port:     int(binary.BigEndian.Uint16(fixed[0:])),
		Type:     fixed[2],
		Protocol: fixed[3],
		Highest:  binary.BigEndian.Uint16(fixed[4:]),
		Lowest:   binary.BigEndian.Uint16(fixed[6:]),
		Extra:    extra,
	}, true, nil
}

func readLenPrefixed(r io.Reader, n uint16) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// readAlive2Resp reads the answer to ALIVE2 in either form: its result
// (Alive2OK, or why the daemon refused) and the creation.
func readAlive2Resp(r io.Reader) (result byte, creation uint32, err error) {
	var head [2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, 0, err
	}
	switch head[0] {
	case tagAlive2XResp:
		var c [4]byte
		if _, err := io.ReadFull(r, c[:]); err != nil {
			return 0, 0, err
		}
		creation = binary.BigEndian.Uint32(c[:])
	case tagAlive2Resp:
		var c [2]byte
		if _, err := io.ReadFull(r, c[:]); err != nil {
			return 0, 0, err
		}
		creation = uint32(binary.BigEndian.Uint16(c[:]))
	default:
		return 0, 0, fmt.Errorf("%w: ALIVE2 answer starts with %d", ErrMalformed, head[0])
	}
	return head[1], creation, nil
}
