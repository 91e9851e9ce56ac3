package erldist

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gerl-dev/gerl/node/term"
)

// The handshake, version 6 (OTP 23 and later; erts/doc/guides/
// erl_dist_protocol.md, "Distribution Handshake"). Every message is
// framed by a 2-byte big-endian length:
//
//	dialer                                  acceptor
//	'N' Flags:64 Creation:32 Nlen:16 Name ->
//	                                        <- 's' Status
//	                      ['s' true|false -> after the status alive]
//	                                        <- 'N' Flags:64 Challenge:32 Creation:32 Nlen:16 Name
//	'r' Challenge:32 Digest:16            ->
//	                                        <- 'a' Digest:16
//
// Each digest is MD5(cookie ++ the other side's challenge in decimal). The
// acceptor checks the dialer's digest before it proves its own, and
// closes the connection on a wrong one, as erts does; each side's error
// then says what it can: a wrong digest, or a peer that hung up right
// after checking ours. After the handshake, frames have a 4-byte length
// (a zero length is a tick), which is the caller's business.

// Status is the acceptor's answer to the dialer's name.
type Status string

// The statuses an acceptor sends.
const (
	// StatusOK: go on with the handshake.
	StatusOK Status = "ok"
	// StatusOKSimultaneous: go on; the acceptor was dialing the dialer
	// too, and gives its own attempt up (the dialer's name is greater).
	StatusOKSimultaneous Status = "ok_simultaneous"
	// StatusNok: the acceptor is dialing the dialer too, and its attempt
	// wins; the dialer gives this one up.
	StatusNok Status = "nok"
	// StatusNotAllowed: the acceptor refuses the dialer.
	StatusNotAllowed Status = "not_allowed"
	// StatusAlive: the acceptor already has a connection to a node of the
	// dialer's name; the dialer answers whether this one replaces it.
	StatusAlive Status = "alive"
)

// maxMessage bounds a handshake message: a name of 255 characters of
// up to 4 bytes each, its host, and the fixed fields fit many times over.
const maxMessage = 2048

// Errors a caller acts on; each error of Dial and Accept that is about the
// peer matches one of them (errors.Is).
var (
	// ErrCookie: the two nodes have different cookies.
	ErrCookie = errors.New("cookie mismatch")
	// ErrFlags: the peer lacks distribution flags gerl requires.
	ErrFlags = errors.New("missing distribution flags")
	// ErrNameKind: one node uses short names (-sname), the other long
	// names (-name).
	ErrNameKind = errors.New("short and long node names do not mix")
	// ErrRefused: the acceptor refused the dialer (not_allowed), or the
	// dialer gave up a connection the acceptor asked about (alive).
	ErrRefused = errors.New("connection refused")
	// ErrSimultaneous: both nodes dialed each other at once, and the
	// other attempt wins (nok): use the connection that one makes.
	ErrSimultaneous = errors.New("simultaneous connect")
	// ErrMalformed: a message that does not follow the protocol, or a
	// peer that answered for another node name.
	ErrMalformed = errors.New("malformed handshake")
)

// Config is what one side brings to a handshake.
type Config struct {
	// Name is this node's full name, name@host.
	Name term.Atom
	// LongNames says whether this node uses long names (-name) rather
	// than short ones (-sname); the peer's name must be of the same kind.
	LongNames bool
	// Cookie is the secret both nodes must share.
	Cookie string
	// CookieFrom says where Cookie came from ("-setcookie",
	// "/home/ann/.gerl.cookie"), for the error a mismatch gives.
	CookieFrom string
	// Creation is this incarnation's creation number (non-zero), from the
	// port mapper.
	Creation uint32
	// Flags are the flags advertised; zero means DefaultFlags, with
	// FlagPublished unless Hidden.
	Flags Flags
	// Hidden makes the node hidden: not published, so the peer lists it
	// in nodes(hidden), not nodes(). It applies when Flags is zero.
	Hidden bool
	// Rand is the source of challenges; nil means crypto/rand.
	Rand io.Reader
}

func (c Config) flags() Flags {
	if c.Flags != 0 {
		return c.Flags
	}
	if c.Hidden {
		return DefaultFlags
	}
	return DefaultFlags | FlagPublished
}

func (c Config) check() error {
	if _, _, err := splitName(c.Name); err != nil {
		return fmt.Errorf("this node's name: %w", err)
	}
	if c.Creation == 0 {
		return errors.New("this node's creation number is 0 (it comes from the port mapper)")
	}
	return nil
}

// Peer is what a handshake learned about the other node.
type Peer struct {
	Name     term.Atom
	Flags    Flags // as the peer advertised them, FlagMandatory25Digest expanded
	Creation uint32
}

// Hidden reports whether the peer is a hidden node (or this one is: a
// connection is published only when both sides publish).
func (p Peer) Hidden() bool { return p.Flags&FlagPublished == 0 }

// Dial runs the dialer's side of the handshake with the node peer, over rw
// (a connection the caller opened, and bounds in time with a deadline).
// alive answers the acceptor's alive status, "do you want this connection
// to replace the one I already have to a node of your name?"; nil answers
// yes. The handshake reads exactly its own bytes from rw, so the caller
// may read the connection's frames from rw afterwards.
func Dial(rw io.ReadWriter, cfg Config, peer term.Atom, alive func() bool) (Peer, error) {
	if err := cfg.check(); err != nil {
		return Peer{}, err
	}
	if err := checkPeerName(cfg, peer); err != nil {
		return Peer{}, err
	}
	p := Peer{Name: peer}
	fail := func(err error) (Peer, error) { return p, fmt.Errorf("connect to %s: %w", peer, err) }

	name := make([]byte, 0, 15+len(cfg.Name))
	name = append(name, 'N')
	name = binary.BigEndian.AppendUint64(name, uint64(cfg.flags()))
	name = binary.BigEndian.AppendUint32(name, cfg.Creation)
	name = binary.BigEndian.AppendUint16(name, uint16(len(cfg.Name)))
	name = append(name, cfg.Name...)
	if err := writeMsg(rw, name); err != nil {
		return fail(fmt.Errorf("sending our name: %w", err))
	}

	msg, err := readMsg(rw, "the status")
	if err != nil {
		return fail(err)
	}
	if msg[0] != 's' {
		return fail(unexpected(msg, "the status"))
	}
	switch st := Status(msg[1:]); st {
	case StatusOK, StatusOKSimultaneous:
	case StatusNok:
		return fail(fmt.Errorf("%w: %s is connecting to this node at the same time, and its connection wins", ErrSimultaneous, peer))
	case StatusNotAllowed:
		return fail(fmt.Errorf("%w: %s answered not_allowed (its net_kernel:allow/1 list, or distribution flags it requires and this node lacks; see its log)", ErrRefused, peer))
	case StatusAlive:
		yes := alive == nil || alive()
		if err := writeMsg(rw, append([]byte{'s'}, strconv.FormatBool(yes)...)); err != nil {
			return fail(fmt.Errorf("answering alive: %w", err))
		}
		if !yes {
			return fail(fmt.Errorf("%w: %s already has a connection to this node's name, and this node gave the new one up", ErrRefused, peer))
		}
	default:
		return fail(fmt.Errorf("%w: status %s", ErrMalformed, printable(msg[1:])))
	}

	msg, err = readMsg(rw, "the challenge")
	if err != nil {
		return fail(err)
	}
	if msg[0] != 'N' || len(msg) < 19 {
		return fail(unexpected(msg, "the challenge"))
	}
	p.Flags = Flags(binary.BigEndian.Uint64(msg[1:])).Expand()
	challenge := binary.BigEndian.Uint32(msg[9:])
	p.Creation = binary.BigEndian.Uint32(msg[13:])
	if n := int(binary.BigEndian.Uint16(msg[17:])); n != len(msg)-19 {
		return fail(fmt.Errorf("%w: the challenge's name of %d bytes in %d", ErrMalformed, n, len(msg)-19))
	}
	if got := term.Atom(msg[19:]); got != peer {
		return fail(fmt.Errorf("%w: %s answered for %s", ErrMalformed, peer, printable(msg[19:])))
	}
	if missing := p.Flags.Missing(Required); missing != 0 {
		return fail(flagsError(peer, missing))
	}

	ours, err := newChallenge(cfg.Rand)
	if err != nil {
		return fail(err)
	}
	reply := append([]byte{'r'}, binary.BigEndian.AppendUint32(nil, ours)...)
	reply = append(reply, digest(cfg.Cookie, challenge)...)
	if err := writeMsg(rw, reply); err != nil {
		return fail(fmt.Errorf("sending our challenge reply: %w", err))
	}

	msg, err = readMsg(rw, "the challenge ack")
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fail(cookieError(cfg, peer, fmt.Sprintf("%s closed the connection after checking this node's challenge reply, as an Erlang node does when the cookies differ", peer)))
	}
	if err != nil {
		return fail(err)
	}
	if msg[0] != 'a' || len(msg) != 17 {
		return fail(unexpected(msg, "the challenge ack"))
	}
	if subtle.ConstantTimeCompare(msg[1:], digest(cfg.Cookie, ours)) != 1 {
		return fail(cookieError(cfg, peer, fmt.Sprintf("%s's challenge ack does not match this node's cookie", peer)))
	}
	p.Flags = published(cfg, p.Flags)
	return p, nil
}

// Accept runs the acceptor's side of the handshake over rw (a connection
// the caller accepted, and bounds in time with a deadline). decide is
// called once the dialer's name and flags are read and checked, and
// returns the status to send: StatusOK (nil decide), StatusOKSimultaneous
// or StatusNok when this node is dialing the same peer, StatusAlive when
// it already has a connection to it, StatusNotAllowed to refuse. After
// alive, the dialer's answer decides. The handshake reads exactly its own
// bytes from rw.
func Accept(rw io.ReadWriter, cfg Config, decide func(Peer) Status) (Peer, error) {
	return AcceptThen(rw, cfg, decide, nil)
}

// AcceptThen is Accept with a last word: install, when not nil, is called
// once the dialer has proved it knows the cookie, before this side proves
// it in turn (the challenge ack, after which the dialer counts the
// connection as up). An error from install ends the handshake there: the
// connection is refused, and AcceptThen returns that error. It is where
// the caller takes the connection into its table, so that a connection
// it cannot take is never up on the dialer's side.
func AcceptThen(rw io.ReadWriter, cfg Config, decide func(Peer) Status, install func(Peer) error) (Peer, error) {
	if err := cfg.check(); err != nil {
		return Peer{}, err
	}
	var p Peer
	fail := func(err error) (Peer, error) {
		if p.Name == "" {
			return p, fmt.Errorf("accept: %w", err)
		}
		return p, fmt.Errorf("accept from %s: %w", p.Name, err)
	}
	refuse := func(err error) (Peer, error) {
		_ = writeMsg(rw, append([]byte{'s'}, StatusNotAllowed...))
		return fail(err)
	}

	msg, err := readMsg(rw, "the dialer's name")
	if err != nil {
		return fail(err)
	}
	switch {
	case msg[0] == 'n':
		return refuse(fmt.Errorf("%w: the dialer uses the old handshake (version 5, Erlang/OTP 22 or older); gerl needs OTP 24 or later", ErrFlags))
	case msg[0] != 'N' || len(msg) < 15:
		return fail(unexpected(msg, "the dialer's name"))
	}
	p.Flags = Flags(binary.BigEndian.Uint64(msg[1:])).Expand()
	p.Creation = binary.BigEndian.Uint32(msg[9:])
	if n := int(binary.BigEndian.Uint16(msg[13:])); n != len(msg)-15 {
		return fail(fmt.Errorf("%w: a name of %d bytes in %d", ErrMalformed, n, len(msg)-15))
	}
	if _, _, err := splitName(term.Atom(msg[15:])); err != nil {
		return refuse(fmt.Errorf("%w: the dialer's name: %v", ErrMalformed, err))
	}
	p.Name = term.Atom(msg[15:])
	if p.Name == cfg.Name {
		return refuse(fmt.Errorf("%w: a node named %s, this node's own name, is connecting", ErrRefused, p.Name))
	}
	if err := checkPeerName(cfg, p.Name); err != nil {
		return refuse(err)
	}
	if missing := p.Flags.Missing(Required); missing != 0 {
		return refuse(flagsError(p.Name, missing))
	}

	st := StatusOK
	if decide != nil {
		st = decide(p)
	}
	switch st {
	case StatusOK, StatusOKSimultaneous, StatusNok, StatusNotAllowed, StatusAlive:
	default:
		return refuse(fmt.Errorf("decide returned %q, which is no status", st))
	}
	if err := writeMsg(rw, append([]byte{'s'}, st...)); err != nil {
		return fail(fmt.Errorf("sending the status: %w", err))
	}
	switch st {
	case StatusNok:
		return fail(fmt.Errorf("%w: this node is connecting to %s too, and that connection wins", ErrSimultaneous, p.Name))
	case StatusNotAllowed:
		return fail(fmt.Errorf("%w: %s is not allowed to connect", ErrRefused, p.Name))
	case StatusAlive:
		msg, err := readMsg(rw, "the answer to alive")
		if err != nil {
			return fail(err)
		}
		switch string(msg) {
		case "strue":
		case "sfalse":
			return fail(fmt.Errorf("%w: %s gave up the new connection (it keeps the one this node has)", ErrRefused, p.Name))
		default:
			return fail(unexpected(msg, "the answer to alive"))
		}
	}

	ours, err := newChallenge(cfg.Rand)
	if err != nil {
		return fail(err)
	}
	ch := make([]byte, 0, 19+len(cfg.Name))
	ch = append(ch, 'N')
	ch = binary.BigEndian.AppendUint64(ch, uint64(cfg.flags()))
	ch = binary.BigEndian.AppendUint32(ch, ours)
	ch = binary.BigEndian.AppendUint32(ch, cfg.Creation)
	ch = binary.BigEndian.AppendUint16(ch, uint16(len(cfg.Name)))
	ch = append(ch, cfg.Name...)
	if err := writeMsg(rw, ch); err != nil {
		return fail(fmt.Errorf("sending the challenge: %w", err))
	}

	msg, err = readMsg(rw, "the challenge reply")
	if err != nil {
		return fail(err)
	}
	if msg[0] != 'r' || len(msg) != 21 {
		return fail(unexpected(msg, "the challenge reply"))
	}
	theirs := binary.BigEndian.Uint32(msg[1:])
	if subtle.ConstantTimeCompare(msg[5:], digest(cfg.Cookie, ours)) != 1 {
		return fail(cookieError(cfg, p.Name, fmt.Sprintf("%s's challenge reply does not match this node's cookie", p.Name)))
	}
	p.Flags = published(cfg, p.Flags)
	if install != nil {
		if err := install(p); err != nil {
			return fail(err)
		}
	}
	if err := writeMsg(rw, append([]byte{'a'}, digest(cfg.Cookie, theirs)...)); err != nil {
		return fail(fmt.Errorf("sending the challenge ack: %w", err))
	}
	return p, nil
}

// published clears the peer's FlagPublished unless this node publishes
// itself too, as dist_util's adjust_flags does: a connection is visible
// only when both sides are.
func published(cfg Config, peer Flags) Flags {
	if cfg.flags()&FlagPublished == 0 {
		return peer &^ FlagPublished
	}
	return peer
}

// digest is MD5 of the cookie followed by the challenge in decimal
// (dist_util:gen_digest/2).
func digest(cookie string, challenge uint32) []byte {
	h := md5.New()
	io.WriteString(h, cookie)
	io.WriteString(h, strconv.FormatUint(uint64(challenge), 10))
	return h.Sum(nil)
}

func newChallenge(src io.Reader) (uint32, error) {
	if src == nil {
		src = rand.Reader
	}
	var b [4]byte
	if _, err := io.ReadFull(src, b[:]); err != nil {
		return 0, fmt.Errorf("making a challenge: %w", err)
	}
	return binary.BigEndian.Uint32(b[:]), nil
}

func writeMsg(w io.Writer, msg []byte) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(msg)), uint16(len(msg))), msg...))
	return err
}

// readMsg reads one handshake message, what it should be, of 1 to
// maxMessage bytes.
func readMsg(r io.Reader, what string) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if n < 1 || n > maxMessage {
		return nil, fmt.Errorf("%w: %s is a message of %d bytes (1 to %d)", ErrMalformed, what, n, maxMessage)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	return msg, nil
}

func unexpected(msg []byte, what string) error {
	return fmt.Errorf("%w: %d bytes starting %s where %s was due", ErrMalformed, len(msg), printable(msg[:min(len(msg), 16)]), what)
}

// printable quotes bytes from the network for an error message.
func printable(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return strconv.QuoteToASCII(string(bytes.Clone(b)))
}

func flagsError(peer term.Atom, missing Flags) error {
	return fmt.Errorf("%w: %s cannot handle %s, which gerl requires (every Erlang/OTP node since 24 has them; older ones cannot connect)",
		ErrFlags, peer, strings.Join(missing.Names(), ", "))
}

// cookieError explains a failed challenge: what happened, and where each
// side reads its cookie.
func cookieError(cfg Config, peer term.Atom, what string) error {
	from := cfg.CookieFrom
	if from == "" {
		from = "its configuration"
	}
	return fmt.Errorf("%w: %s: the cookies of %s and this node (%s) differ. An Erlang node reads its cookie from ~/.erlang.cookie unless started with -setcookie; this node's cookie comes from %s. Start both with the same -setcookie, or put the same cookie in both files",
		ErrCookie, what, peer, cfg.Name, from)
}
