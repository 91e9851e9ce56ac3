package erldist

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

func cfgOf(name term.Atom, cookie string) Config {
	return Config{Name: name, Cookie: cookie, CookieFrom: "-setcookie", Creation: 7}
}

type result struct {
	peer Peer
	err  error
}

// pair runs Dial from d to a's name and Accept on a, over an in-memory
// connection; each side closes its end when its handshake returns, as a
// caller does on failure.
func pair(t *testing.T, d, a Config, alive func() bool, decide func(Peer) Status) (dialed, accepted result) {
	t.Helper()
	dc, ac := net.Pipe()
	done := make(chan result, 1)
	go func() {
		p, err := Accept(ac, a, decide)
		ac.Close()
		done <- result{p, err}
	}()
	p, err := Dial(dc, d, a.Name, alive)
	dc.Close()
	return result{p, err}, <-done
}

func TestHandshake(t *testing.T) {
	d, a := cfgOf("dd@h", "c"), cfgOf("aa@h", "c")
	d.Creation, a.Creation = 11, 22
	dialed, accepted := pair(t, d, a, nil, nil)
	if dialed.err != nil || accepted.err != nil {
		t.Fatalf("dial: %v; accept: %v", dialed.err, accepted.err)
	}
	if dialed.peer != (Peer{Name: "aa@h", Flags: DefaultFlags | FlagPublished | Mandatory25, Creation: 22}) {
		t.Errorf("the dialer learned %+v", dialed.peer)
	}
	if accepted.peer != (Peer{Name: "dd@h", Flags: DefaultFlags | FlagPublished | Mandatory25, Creation: 11}) {
		t.Errorf("the acceptor learned %+v", accepted.peer)
	}
	if dialed.peer.Hidden() || accepted.peer.Hidden() {
		t.Error("a published connection is hidden")
	}
	// A hidden side makes the connection hidden on both.
	d.Hidden = true
	dialed, accepted = pair(t, d, a, nil, nil)
	if dialed.err != nil || accepted.err != nil || !dialed.peer.Hidden() || !accepted.peer.Hidden() {
		t.Fatalf("hidden dialer: %+v %v; %+v %v", dialed.peer, dialed.err, accepted.peer, accepted.err)
	}
	// A peer sending only the OTP 25 digest flag for the OTP 25 set is enough.
	d.Flags = FlagMandatory25Digest | FlagV4NC | FlagUnlinkID
	if dialed, accepted = pair(t, d, a, nil, nil); dialed.err != nil || accepted.err != nil {
		t.Fatalf("digest flag: %v; %v", dialed.err, accepted.err)
	}
}

func TestCookieMismatch(t *testing.T) {
	d, a := cfgOf("dd@h", "one"), cfgOf("aa@h", "two")
	a.CookieFrom = "/home/ann/.gerl.cookie"
	dialed, accepted := pair(t, d, a, nil, nil)
	if !errors.Is(dialed.err, ErrCookie) || !strings.Contains(dialed.err.Error(), "aa@h closed the connection after checking this node's challenge reply") ||
		!strings.Contains(dialed.err.Error(), "~/.erlang.cookie") || !strings.Contains(dialed.err.Error(), "this node's cookie comes from -setcookie") {
		t.Errorf("dialer: %v", dialed.err)
	}
	if !errors.Is(accepted.err, ErrCookie) || !strings.Contains(accepted.err.Error(), "dd@h's challenge reply does not match this node's cookie") ||
		!strings.Contains(accepted.err.Error(), "the cookies of dd@h and this node (aa@h) differ") ||
		!strings.Contains(accepted.err.Error(), "comes from /home/ann/.gerl.cookie") {
		t.Errorf("acceptor: %v", accepted.err)
	}
}

func TestStatuses(t *testing.T) {
	d, a := cfgOf("dd@h", "c"), cfgOf("aa@h", "c")
	tests := []struct {
		status         Status
		alive          bool
		dialErr, accEr error
	}{
		{StatusOK, true, nil, nil},
		{StatusOKSimultaneous, true, nil, nil},
		{StatusAlive, true, nil, nil},
		{StatusAlive, false, ErrRefused, ErrRefused},
		{StatusNok, true, ErrSimultaneous, ErrSimultaneous},
		{StatusNotAllowed, true, ErrRefused, ErrRefused},
	}
	for _, tc := range tests {
		asked := false
		dialed, accepted := pair(t, d, a, func() bool { asked = true; return tc.alive },
			func(p Peer) Status {
				if p.Name != "dd@h" {
					t.Errorf("decide got %+v", p)
				}
				return tc.status
			})
		if !errors.Is(dialed.err, tc.dialErr) || (tc.dialErr == nil) != (dialed.err == nil) {
			t.Errorf("%s: dial: %v", tc.status, dialed.err)
		}
		if !errors.Is(accepted.err, tc.accEr) || (tc.accEr == nil) != (accepted.err == nil) {
			t.Errorf("%s: accept: %v", tc.status, accepted.err)
		}
		if asked != (tc.status == StatusAlive) {
			t.Errorf("%s: the dialer was asked: %v", tc.status, asked)
		}
	}
	_, accepted := pair(t, d, a, nil, func(Peer) Status { return "maybe" })
	if accepted.err == nil || !strings.Contains(accepted.err.Error(), `"maybe"`) {
		t.Errorf("a bad status: %v", accepted.err)
	}
}

func TestMissingFlags(t *testing.T) {
	d, a := cfgOf("dd@h", "c"), cfgOf("aa@h", "c")
	d.Flags = DefaultFlags &^ (FlagBigCreation | FlagUnlinkID | FlagMandatory25Digest)
	dialed, accepted := pair(t, d, a, nil, nil)
	if !errors.Is(accepted.err, ErrFlags) || !strings.Contains(accepted.err.Error(), "dd@h cannot handle BIG_CREATION, UNLINK_ID") {
		t.Errorf("acceptor: %v", accepted.err)
	}
	if !errors.Is(dialed.err, ErrRefused) || !strings.Contains(dialed.err.Error(), "not_allowed") {
		t.Errorf("dialer: %v", dialed.err)
	}
	d, a.Flags = cfgOf("dd@h", "c"), DefaultFlags&^FlagV4NC
	dialed, _ = pair(t, d, a, nil, nil)
	if !errors.Is(dialed.err, ErrFlags) || !strings.Contains(dialed.err.Error(), "aa@h cannot handle V4_NC") {
		t.Errorf("dialer: %v", dialed.err)
	}
}

func TestNameKinds(t *testing.T) {
	short, long := cfgOf("s@host", "c"), cfgOf("l@host.example.com", "c")
	long.LongNames = true
	if _, err := Dial(nil, short, "l@host.example.com", nil); !errors.Is(err, ErrNameKind) ||
		!strings.Contains(err.Error(), "l@host.example.com has a long name (started with -name), and this node s@host a short one (-sname)") {
		t.Errorf("short dials long: %v", err)
	}
	if _, err := Dial(nil, long, "s@host", nil); !errors.Is(err, ErrNameKind) || !strings.Contains(err.Error(), "s@host has a short name") {
		t.Errorf("long dials short: %v", err)
	}
	for _, ok := range []term.Atom{"x@127.0.0.1", "x@::1", "x@a.b"} {
		if err := checkPeerName(long, ok); err != nil {
			t.Errorf("long names, %s: %v", ok, err)
		}
	}
	if err := checkPeerName(short, "x@127.0.0.1"); !errors.Is(err, ErrNameKind) {
		t.Errorf("short names, an IPv4 host: %v", err)
	}
	// The acceptor refuses the other kind too, with not_allowed.
	dialer := long
	dialer.LongNames = false // a dialer that does not check (an old or foreign node)
	dialed, accepted := pair(t, dialer, cfgOf("a@host", "c"), nil, nil)
	if !errors.Is(accepted.err, ErrNameKind) || !errors.Is(dialed.err, ErrRefused) {
		t.Errorf("a long name dials a short one: %v; %v", dialed.err, accepted.err)
	}
	for _, bad := range []term.Atom{"noat", "@h", "n@", "a@b@c", "a b@h", "\xff@h", term.Atom(strings.Repeat("x", 256) + "@h")} {
		if _, err := Dial(nil, short, bad, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("dial %q: %v", bad, err)
		}
	}
	if _, err := Dial(nil, Config{Name: "x@h"}, "y@h", nil); err == nil || !strings.Contains(err.Error(), "creation number is 0") {
		t.Errorf("creation 0: %v", err)
	}
}

// script plays one side of a handshake from fixed bytes, and records what
// the other side wrote.
type script struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (s *script) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s *script) Write(p []byte) (int, error) { return s.out.Write(p) }

func msgs(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
		b = append(b, p...)
	}
	return b
}

func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			b = append(b, x...)
		case []byte:
			b = append(b, x...)
		case uint64:
			b = binary.BigEndian.AppendUint64(b, x)
		case uint32:
			b = binary.BigEndian.AppendUint32(b, x)
		case uint16:
			b = binary.BigEndian.AppendUint16(b, x)
		}
	}
	return b
}

// TestWireBytes checks every message against the protocol's layout, with
// digests computed by erl (erlang:md5(["secret"|integer_to_list(4294967295)])).
func TestWireBytes(t *testing.T) {
	want, _ := hex.DecodeString("5DFD181E69AA587CC812EB333E6536B6")
	if got := digest("secret", 4294967295); !bytes.Equal(got, want) {
		t.Fatalf("digest %x, erl says %x", got, want)
	}
	ones := bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff})
	cfg := Config{Name: "me@h", Cookie: "secret", Creation: 0x01020304, Rand: ones, Flags: DefaultFlags | FlagPublished}
	peerFlags := uint64(0xd07df7fbd) // what OTP 25.2.3 advertises
	s := &script{in: bytes.NewReader(msgs(
		[]byte("sok"),
		cat("N", peerFlags, uint32(4294967295), uint32(99), uint16(4), "er@h"),
		cat("a", digest("secret", 4294967295)),
	))}
	p, err := Dial(s, cfg, "er@h", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p != (Peer{Name: "er@h", Flags: Flags(peerFlags), Creation: 99}) {
		t.Errorf("peer %+v", p)
	}
	wantOut := msgs(cat("N", uint64(DefaultFlags|FlagPublished), uint32(0x01020304), uint16(4), "me@h"),
		cat("r", uint32(4294967295), want))
	if !bytes.Equal(s.out.Bytes(), wantOut) {
		t.Errorf("the dialer wrote\n%x\nwant\n%x", s.out.Bytes(), wantOut)
	}

	cfg.Rand = bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff})
	s = &script{in: bytes.NewReader(msgs(
		cat("N", peerFlags, uint32(5), uint16(4), "er@h"),
		cat("r", uint32(4294967295), want),
	))}
	if p, err = Accept(s, cfg, nil); err != nil {
		t.Fatal(err)
	}
	wantOut = msgs([]byte("sok"), cat("N", uint64(DefaultFlags|FlagPublished), uint32(4294967295), uint32(0x01020304), uint16(4), "me@h"),
		cat("a", want))
	if !bytes.Equal(s.out.Bytes(), wantOut) || p.Creation != 5 {
		t.Errorf("the acceptor wrote\n%x\nwant\n%x (peer %+v)", s.out.Bytes(), wantOut, p)
	}
}

// TestHostileMessages: malformed messages get an error of the right kind
// and never make the handshake allocate more than a message's limit.
func TestHostileMessages(t *testing.T) {
	cfg := cfgOf("me@h", "c")
	good := cat("N", uint64(DefaultFlags), uint32(5), uint16(4), "er@h")
	acceptTests := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"nothing", nil, "EOF"},
		{"half a length", []byte{0}, "EOF"},
		{"zero length", []byte{0, 0}, "message of 0 bytes"},
		{"too long", []byte{0xff, 0xff}, "message of 65535 bytes"},
		{"truncated", []byte{0, 10, 'N'}, "unexpected EOF"},
		{"short name message", msgs([]byte("N\x00")), "where the dialer's name was due"},
		{"name length past the end", msgs(cat("N", uint64(DefaultFlags), uint32(5), uint16(40), "er@h")), "a name of 40 bytes in 4"},
		{"bad name", msgs(cat("N", uint64(DefaultFlags), uint32(5), uint16(4), "er\x00h")), "not name@host"},
		{"old handshake", msgs(cat("n", uint16(5), uint32(0x7fff), "er@h")), "old handshake"},
		{"its own name", msgs(cat("N", uint64(DefaultFlags), uint32(5), uint16(4), "me@h")), "this node's own name"},
		{"bad alive answer", msgs(good, []byte("smaybe")), "answer to alive"},
		{"short reply", msgs(good, []byte("r1234")), "challenge reply was due"},
	}
	for _, tc := range acceptTests {
		s := &script{in: bytes.NewReader(tc.in)}
		decide := func(Peer) Status {
			if tc.name == "bad alive answer" {
				return StatusAlive
			}
			return StatusOK
		}
		if _, err := Accept(s, cfg, decide); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("accept, %s: %v", tc.name, err)
		}
	}
	dialTests := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"unknown status", msgs([]byte("sperhaps")), `status "perhaps"`},
		{"named status", msgs([]byte("snamed:x")), `status "named:x"`},
		{"no status", msgs([]byte("s")), `status ""`},
		{"no status", msgs([]byte("x")), "where the status was due"},
		{"short challenge", msgs([]byte("sok"), []byte("N123")), "where the challenge was due"},
		{"other node", msgs([]byte("sok"), cat("N", uint64(DefaultFlags), uint32(1), uint32(5), uint16(4), "xx@h")), "er@h answered for \"xx@h\""},
		{"name length", msgs([]byte("sok"), cat("N", uint64(DefaultFlags), uint32(1), uint32(5), uint16(9), "er@h")), "name of 9 bytes in 4"},
		{"bad ack", msgs([]byte("sok"), cat("N", uint64(DefaultFlags), uint32(1), uint32(5), uint16(4), "er@h"), cat("a", make([]byte, 16))), "challenge ack does not match"},
		{"short ack", msgs([]byte("sok"), cat("N", uint64(DefaultFlags), uint32(1), uint32(5), uint16(4), "er@h"), []byte("a1")), "challenge ack was due"},
	}
	for _, tc := range dialTests {
		s := &script{in: bytes.NewReader(tc.in)}
		if _, err := Dial(s, cfg, "er@h", nil); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("dial, %s: %v", tc.name, err)
		}
	}
	// A failing writer is reported as such.
	if _, err := Dial(struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(nil), failWriter{}}, cfg, "er@h", nil); err == nil || !strings.Contains(err.Error(), "sending our name: broken") {
		t.Errorf("dial with a broken writer: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken") }

func TestFlagNames(t *testing.T) {
	if got := (FlagBigCreation | FlagV4NC | 1<<60).String(); got != "BIG_CREATION|V4_NC|0x1000000000000000" {
		t.Errorf("String = %s", got)
	}
	if Flags(0).String() != "0" || Mandatory25 != 0x1070F94 || DefaultFlags|FlagPublished != 0xD07071FBD { // ERLANG-INTEROP.md §1.2's set, with ALIAS and UNICODE_IO
		t.Errorf("flag sets: %#x %#x", uint64(Mandatory25), uint64(DefaultFlags|FlagPublished))
	}
	if m := (FlagMandatory25Digest).Missing(Mandatory26); m != FlagV4NC|FlagUnlinkID {
		t.Errorf("Missing = %s", m)
	}
}
