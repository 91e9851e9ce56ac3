package cluster

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/gerl-dev/gerl/node/erldist"
	"github.com/gerl-dev/gerl/node/term"
)

// The handshake (docs/protocol.md, "Handshake") authenticates both sides
// with the cookie and agrees on a version and capabilities:
//
//	dialer                                acceptor
//	HELLO     versions, flags, creation,
//	          nonce D, own name, target  ->
//	                                      <- CHALLENGE version, flags, creation,
//	                                                   nonce A, own name
//	PROOF     HMAC(cookie, dialer label,
//	               transcript)           ->
//	                                      (verifies the proof, then decides)
//	                                      [<- ALIVE, when still connected to the dialer
//	CONFIRM   1: replace it, 0: give up  ->]
//	                                      <- ACCEPT HMAC(cookie, acceptor label,
//	                                                    transcript, dialer proof)
//	                                         or REJECT code, text
//	COMMIT                               ->
//
// The dialer installs the connection and sends COMMIT only if its dial is
// still the one it wants; the acceptor installs it when COMMIT arrives. So
// a connection is never up on one side only because the other side gave
// it up during the handshake (both nodes dialing at once).
//
// The transcript is the HELLO and CHALLENGE bodies, so both proofs bind the
// nonces, names, flags and creations. Neither proof reveals the cookie, and
// the acceptor proves itself only to a dialer that has proved itself first.
// The handshake is written against a reader and a writer and knows nothing
// of TCP: the caller bounds it in time (a deadline on the connection) and
// hands the same buffered reader to the connection afterwards, so no byte
// after the handshake is lost and none before it is read as a frame.

// Protocol versions this implementation speaks.
const (
	VersionLowest  = 1
	VersionHighest = 1

	// The versions a gerl node registers with the port mapper, where
	// they name Erlang's distribution protocol: 6, so that port mappers
	// (gerl's and epmd) give it a 32-bit creation number. The port
	// mapper entry's Extra tells gerl nodes from Erlang's; gerl's own
	// protocol version is negotiated in the handshake.
	portMapperVersion = 6
)

// Capability flags exchanged in the handshake. Wire constants: append only.
const (
	FlagHidden uint64 = 1 << 0 // the sender is a hidden node: not transitive, not in Nodes()
	FlagMesh   uint64 = 1 << 1 // the sender exchanges node lists (NODES)
	FlagSpawn  uint64 = 1 << 2 // the sender serves SPAWN_REQ
	FlagRPC    uint64 = 1 << 3 // the sender serves RPC_REQ
	FlagFun    uint64 = 1 << 4 // the sender serves SPAWN_FUN and RPC_FUN: group leaders, and code if it has a CodeRunner
	FlagMade   uint64 = 1 << 5 // the sender reads code terms with a module literal (Code.Made)
)

// defaultFlags are the capabilities this implementation has.
const defaultFlags = FlagMesh | FlagSpawn | FlagRPC | FlagFun | FlagMade

// Handshake message tags, after the "GERL" magic.
const (
	hsHello     = 'H'
	hsChallenge = 'C'
	hsProof     = 'P'
	hsAccept    = 'A'
	hsReject    = 'X'
	hsAlive     = 'L' // acceptor: "I am still connected to you; do you want this one?"
	hsConfirm   = 'Y' // dialer: 1 to replace the old connection, 0 to give up
	hsCommit    = 'K' // dialer: installed; the acceptor installs on receipt
)

// decideAsk is what an acceptor's decide returns when it is still
// connected to the dialer: the dialer is asked (ALIVE) whether it still
// wants this new connection, and decide is called again with its answer.
const decideAsk byte = 255

// Reject codes. Wire constants: append only.
const (
	RejectCookie       byte = 1 // the dialer's proof does not match the acceptor's cookie
	RejectSimultaneous byte = 2 // both nodes dialed at once; the acceptor's own connection wins
	RejectVersion      byte = 3 // no common protocol version
	RejectWrongNode    byte = 4 // the dialer asked for another node name
	RejectRefused      byte = 5 // the acceptor refuses (stopping, same name, bad name)
	RejectBusy         byte = 6 // the acceptor has too many connections being set up
)

const (
	hsMagic     = "GERL"
	nonceLen    = 32
	macLen      = sha256.Size
	maxHsFrame  = 2048
	dialerLabel = "gerl dialer proof\x00"
	acceptLabel = "gerl acceptor proof\x00"
)

// Errors of the handshake callers act on.
var (
	// ErrAuth: the two nodes do not share a cookie (or a peer failed to
	// prove it knows it).
	ErrAuth = errors.New("authentication failed")
	// ErrErlangPeer: the peer speaks Erlang's distribution protocol.
	ErrErlangPeer = errors.New("the peer is an Erlang node")
	// ErrTLSPeer: the peer started TLS on a node that runs without it.
	ErrTLSPeer = errors.New("the peer speaks TLS")
	// errSimultaneous: our dial lost to the peer's simultaneous dial.
	errSimultaneous = errors.New("simultaneous connect")
	// errSuperseded: our dial was given up before it proved itself.
	errSuperseded = errors.New("superseded by the peer's connection")
)

// RejectedError is returned to the dialer when the acceptor refuses it.
type RejectedError struct {
	Node    term.Atom // the acceptor
	Code    byte
	Message string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s rejected the connection: %s", e.Node, e.Message)
}

// Is makes errors.Is(err, ErrAuth) true for a cookie mismatch.
func (e *RejectedError) Is(target error) bool {
	return (target == ErrAuth && e.Code == RejectCookie) || (target == errSimultaneous && e.Code == RejectSimultaneous)
}

// hsConfig is what one side brings to a handshake.
type hsConfig struct {
	name     term.Atom
	creation uint32
	flags    uint64
	cookie   string
	rand     io.Reader // nil: crypto/rand
	// helloSeen, if set, is called by the acceptor once a well-formed
	// HELLO has arrived: the peer speaks gerl (admission uses it).
	helloSeen func()
}

// hsPeer is what a handshake learned about the other side.
type hsPeer struct {
	name     term.Atom
	creation uint32
	flags    uint64
	version  uint16
	id       uint64 // the same on both sides: names this connection in logs and tests
	// An Erlang peer (erlhandshake.go): flags are then the gerl
	// capabilities its Erlang flags, eflags, amount to.
	erlang bool
	eflags erldist.Flags
}

func (p hsPeer) hidden() bool { return p.flags&FlagHidden != 0 }

type hello struct {
	vmin, vmax uint16
	flags      uint64
	creation   uint32
	nonce      []byte
	name       string
	target     string
}

func (h hello) marshal() []byte {
	b := hsMsg(hsHello)
	b = binary.BigEndian.AppendUint16(b, h.vmin)
	b = binary.BigEndian.AppendUint16(b, h.vmax)
	b = binary.BigEndian.AppendUint64(b, h.flags)
	b = binary.BigEndian.AppendUint32(b, h.creation)
	b = append(b, h.nonce...)
	b = appendStr16(b, h.name)
	return appendStr16(b, h.target)
}

type challenge struct {
	version  uint16
	flags    uint64
	creation uint32
	nonce    []byte
	name     string
}

func (c challenge) marshal() []byte {
	b := hsMsg(hsChallenge)
	b = binary.BigEndian.AppendUint16(b, c.version)
	b = binary.BigEndian.AppendUint64(b, c.flags)
	b = binary.BigEndian.AppendUint32(b, c.creation)
	b = append(b, c.nonce...)
	return appendStr16(b, c.name)
}

func appendStr16(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// hsReader parses a handshake body, failing on any short read.
type hsReader struct {
	b   []byte
	err error
}

func (r *hsReader) take(n int) []byte {
	if r.err != nil || n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated handshake message", ErrMalformed)
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *hsReader) u16() uint16 { return binary.BigEndian.Uint16(r.take(2)) }
func (r *hsReader) u32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }
func (r *hsReader) u64() uint64 { return binary.BigEndian.Uint64(r.take(8)) }
func (r *hsReader) str() string { return string(r.take(int(r.u16()))) }

func (r *hsReader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d bytes after the handshake message", ErrMalformed, len(r.b))
	}
	return r.err
}

// readHs reads one handshake frame and checks its magic; it returns the
// tag and the body after the tag.
func readHs(r *bufio.Reader) (byte, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, fmt.Errorf("reading handshake: %w", err)
	}
	if l := binary.BigEndian.Uint16(hdr[:2]); (hdr[2] == 'N' || hdr[2] == 'n') && l > 2 && l < 1024 {
		return 0, nil, ErrErlangPeer // Erlang's 2-byte length, then send_name
	}
	if hdr[0] == 0x16 && hdr[1] == 0x03 {
		return 0, nil, ErrTLSPeer // a TLS record: a ClientHello
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxHsFrame || n < uint32(len(hsMagic)+1) {
		return 0, nil, fmt.Errorf("%w: handshake frame of %d bytes", ErrMalformed, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return 0, nil, fmt.Errorf("reading handshake: %w", err)
	}
	if string(b[:4]) != hsMagic {
		return 0, nil, fmt.Errorf("%w: not a gerl handshake (magic %q)", ErrMalformed, b[:4])
	}
	return b[4], b[5:], nil
}

// hsMsg is a handshake message: the magic, the tag, then body.
func hsMsg(tag byte, body ...byte) []byte {
	return append(append([]byte(hsMagic), tag), body...)
}

func writeHs(w io.Writer, body []byte) error {
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(body)), uint32(len(body)))
	_, err := w.Write(append(frame, body...))
	return err
}

func writeReject(w io.Writer, code byte, msg string) error {
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	b := hsMsg(hsReject, code)
	return writeHs(w, appendStr16(b, msg))
}

func parseReject(peer term.Atom, body []byte) error {
	r := hsReader{b: body}
	code := r.take(1)[0]
	msg := r.str()
	if err := r.end(); err != nil {
		return err
	}
	return &RejectedError{Node: peer, Code: code, Message: msg}
}

func mac(cookie, label string, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, []byte(cookie))
	h.Write([]byte(label))
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func connID(transcript ...[]byte) uint64 {
	h := sha256.New()
	for _, p := range transcript {
		h.Write(p)
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}

func (cfg hsConfig) nonce() ([]byte, error) {
	src := cfg.rand
	if src == nil {
		src = rand.Reader
	}
	b := make([]byte, nonceLen)
	if _, err := io.ReadFull(src, b); err != nil {
		return nil, fmt.Errorf("handshake nonce: %w", err)
	}
	return b, nil
}

// dialHandshake runs the dialer's side against the node target.
//
// stillWanted says whether this dial is still the one this node wants (it
// has not been superseded meanwhile): it is asked before the proof is
// sent, and answers the acceptor's ALIVE question.
// commit is called once the acceptor has proved itself: it installs the
// connection and reports whether it did; if it did not, the dial is
// superseded and no COMMIT is sent.
func dialHandshake(r *bufio.Reader, w io.Writer, cfg hsConfig, target term.Atom, stillWanted func() bool, commit func(hsPeer) bool) (hsPeer, error) {
	nonce, err := cfg.nonce()
	if err != nil {
		return hsPeer{}, err
	}
	h := hello{VersionLowest, VersionHighest, cfg.flags, cfg.creation, nonce, string(cfg.name), string(target)}
	hb := h.marshal()
	if err := writeHs(w, hb); err != nil {
		return hsPeer{}, fmt.Errorf("sending hello: %w", err)
	}
	tag, body, err := readHs(r)
	if err != nil {
		return hsPeer{}, err
	}
	switch tag {
	case hsReject:
		return hsPeer{}, parseReject(target, body)
	case hsChallenge:
	default:
		return hsPeer{}, fmt.Errorf("%w: handshake message %q where a challenge was due", ErrMalformed, tag)
	}
	cr := hsReader{b: body}
	ch := challenge{version: cr.u16(), flags: cr.u64(), creation: cr.u32(), nonce: cr.take(nonceLen), name: cr.str()}
	if err := cr.end(); err != nil {
		return hsPeer{}, err
	}
	if ch.name != string(target) {
		return hsPeer{}, fmt.Errorf("%w: dialed %s but %s answered", ErrMalformed, target, ch.name)
	}
	if ch.version < VersionLowest || ch.version > VersionHighest {
		return hsPeer{}, fmt.Errorf("%w: %s chose protocol version %d, we speak %d..%d", ErrMalformed, target, ch.version, VersionLowest, VersionHighest)
	}
	if !stillWanted() {
		// This dial was superseded (the peer's own dial won meanwhile):
		// stop before proving, so that the peer never installs it.
		return hsPeer{}, errSuperseded
	}
	cb := hsMsg(hsChallenge, body...)
	proof := mac(cfg.cookie, dialerLabel, hb, cb)
	if err := writeHs(w, hsMsg(hsProof, proof...)); err != nil {
		return hsPeer{}, fmt.Errorf("sending proof: %w", err)
	}
	tag, body, err = readHs(r)
	if err != nil {
		return hsPeer{}, err
	}
	if tag == hsAlive && len(body) == 0 {
		answer := byte(0)
		if stillWanted() {
			answer = 1
		}
		if err := writeHs(w, hsMsg(hsConfirm, answer)); err != nil {
			return hsPeer{}, fmt.Errorf("sending confirm: %w", err)
		}
		if tag, body, err = readHs(r); err != nil {
			return hsPeer{}, err
		}
	}
	switch tag {
	case hsReject:
		return hsPeer{}, parseReject(target, body)
	case hsAccept:
	default:
		return hsPeer{}, fmt.Errorf("%w: handshake message %q where accept was due", ErrMalformed, tag)
	}
	want := mac(cfg.cookie, acceptLabel, hb, cb, proof)
	if len(body) != macLen || !hmac.Equal(body, want) {
		return hsPeer{}, fmt.Errorf("%s failed to prove it knows the cookie: %w", target, ErrAuth)
	}
	peer := hsPeer{name: target, creation: ch.creation, flags: ch.flags, version: ch.version, id: connID(hb, cb)}
	if !commit(peer) {
		return peer, errSuperseded
	}
	if err := writeHs(w, hsMsg(hsCommit)); err != nil {
		return peer, fmt.Errorf("sending commit: %w", err)
	}
	return peer, nil
}

// acceptHandshake runs the acceptor's side. decide is called once the
// dialer has proved it knows the cookie; a non-zero code rejects it with
// the message, and decideAsk asks the dialer (ALIVE) and calls decide
// again with its answer in confirmed.
func acceptHandshake(r *bufio.Reader, w io.Writer, cfg hsConfig, decide func(p hsPeer, confirmed bool) (byte, string)) (hsPeer, error) {
	tag, body, err := readHs(r)
	if err != nil {
		return hsPeer{}, err
	}
	if tag != hsHello {
		return hsPeer{}, fmt.Errorf("%w: handshake message %q where hello was due", ErrMalformed, tag)
	}
	hr := hsReader{b: body}
	h := hello{vmin: hr.u16(), vmax: hr.u16(), flags: hr.u64(), creation: hr.u32(), nonce: hr.take(nonceLen), name: hr.str(), target: hr.str()}
	if err := hr.end(); err != nil {
		return hsPeer{}, err
	}
	if cfg.helloSeen != nil {
		cfg.helloSeen()
	}
	peer := hsPeer{name: term.Atom(h.name), creation: h.creation, flags: h.flags}
	refuse := func(code byte, format string, args ...any) (hsPeer, error) {
		msg := fmt.Sprintf(format, args...)
		_ = writeReject(w, code, msg)
		return peer, &RejectedError{Node: cfg.name, Code: code, Message: msg}
	}
	if h.target != string(cfg.name) {
		return refuse(RejectWrongNode, "this is %s, not %s", cfg.name, h.target)
	}
	if _, _, err := SplitNodeName(h.name); err != nil {
		return refuse(RejectRefused, "bad node name %q", h.name)
	}
	if h.name == string(cfg.name) {
		return refuse(RejectRefused, "a node named %s is connecting to itself", h.name)
	}
	version := min(h.vmax, VersionHighest)
	if version < h.vmin || version < VersionLowest {
		return refuse(RejectVersion, "no common protocol version (%s speaks %d..%d, %s %d..%d)", h.name, h.vmin, h.vmax, cfg.name, VersionLowest, VersionHighest)
	}
	peer.version = version
	nonce, err := cfg.nonce()
	if err != nil {
		return peer, err
	}
	hb := hsMsg(hsHello, body...)
	cb := challenge{version, cfg.flags, cfg.creation, nonce, string(cfg.name)}.marshal()
	if err := writeHs(w, cb); err != nil {
		return peer, fmt.Errorf("sending challenge: %w", err)
	}
	tag, body, err = readHs(r)
	if err != nil {
		return peer, err
	}
	if tag != hsProof || len(body) != macLen {
		return peer, fmt.Errorf("%w: handshake message %q where a proof was due", ErrMalformed, tag)
	}
	proof := bytes.Clone(body)
	if !hmac.Equal(proof, mac(cfg.cookie, dialerLabel, hb, cb)) {
		_ = writeReject(w, RejectCookie, "cookie mismatch (the two nodes were started with different cookies)")
		return peer, fmt.Errorf("%s sent a proof that does not match our cookie: %w", h.name, ErrAuth)
	}
	peer.id = connID(hb, cb)
	code, msg := decide(peer, false)
	if code == decideAsk {
		if err := writeHs(w, hsMsg(hsAlive)); err != nil {
			return peer, fmt.Errorf("sending alive: %w", err)
		}
		tag, body, err := readHs(r)
		if err != nil {
			return peer, err
		}
		if tag != hsConfirm || len(body) != 1 || body[0] > 1 {
			return peer, fmt.Errorf("%w: handshake message %q where a confirm was due", ErrMalformed, tag)
		}
		if body[0] == 0 {
			return refuse(RejectSimultaneous, "already connected to %s", h.name)
		}
		code, msg = decide(peer, true)
	}
	if code != 0 {
		return refuse(code, "%s", msg)
	}
	if err := writeHs(w, hsMsg(hsAccept, mac(cfg.cookie, acceptLabel, hb, cb, proof)...)); err != nil {
		return peer, fmt.Errorf("sending accept: %w", err)
	}
	tag, body, err = readHs(r)
	if err != nil {
		return peer, fmt.Errorf("waiting for commit: %w", err)
	}
	if tag != hsCommit || len(body) != 0 {
		return peer, fmt.Errorf("%w: handshake message %q where commit was due", ErrMalformed, tag)
	}
	return peer, nil
}
