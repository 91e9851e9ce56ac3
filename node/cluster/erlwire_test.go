package cluster

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/etf"
	"github.com/gerl-dev/gerl/node/term"
)

var (
	ep  = term.Pid{Node: "e@h", ID: 1, Creation: 9}
	gp  = term.Pid{Node: "g@h", ID: 2, Creation: 7}
	er  = func() term.Ref { r, _ := term.RefFromWords("e@h", 9, []uint32{1, 2, 3}); return r }()
	eID = 1 << 40
)

// seedErlFrames returns frames of every control message gerl sends, and
// of those only Erlang sends, without their length.
func seedErlFrames() [][]byte {
	var out [][]byte
	add := func(f []byte, err error) {
		if err == nil {
			out = append(out, f[4:])
		}
	}
	add(erlSend(nil, gp, term.T(term.A("ping"), ep, []byte("x"))))
	add(erlRegSend(nil, ep, "pong", []any{1, 2}))
	add(erlPair(nil, dopLink, ep, gp))
	add(erlUnlinkID(nil, dopUnlinkID, eID, ep, gp))
	add(erlUnlinkID(nil, dopUnlinkIDAck, 3, ep, gp))
	add(erlExit(nil, dopExit, ep, gp, term.T(term.A("custom"), 1)))
	add(erlExit(nil, dopExit2, ep, gp, term.Kill))
	add(erlMonitor(nil, dopMonitorP, ep, gp, er))
	add(erlMonitor(nil, dopMonitorP, ep, term.Atom("name"), er))
	add(erlMonitor(nil, dopDemonitorP, ep, gp, er))
	add(erlMonitorExit(nil, term.Atom("name"), gp, er, term.NoProc))
	add(erlSpawnRequest(nil, er, ep, ep, "erpc", "execute_call", []any{er, term.A("m"), term.A("f"), []any{1}}, []any{term.A("monitor")}))
	add(erlSpawnReply(nil, er, ep, spawnReplyMonitor, gp))
	add(erlSpawnReply(nil, er, ep, 0, term.A("badopt")))
	add(erlAliasSend(nil, ep, er, term.T(er, 1)))
	// what only Erlang sends: trace token variants, old unlink
	tt := func(ctrl term.Tuple, msg ...any) {
		b, _ := etf.Append([]byte{passThrough}, ctrl)
		for _, m := range msg {
			b, _ = etf.Append(b, m)
		}
		out = append(out, b)
	}
	tt(term.T(dopSendTT, term.A(""), gp, term.A("token")), "msg")
	tt(term.T(dopRegSendTT, ep, term.A(""), term.A("name"), term.A("token")), 1)
	tt(term.T(dopExitTT, ep, gp, term.A("token"), term.A("r")))
	tt(term.T(dopExit2TT, ep, gp, term.A("token"), term.A("r")))
	tt(term.T(dopUnlink, ep, gp))
	tt(term.T(dopGroupLeader, ep, gp))
	tt(term.T(dopNodeLink))
	tt(term.T(dopSpawnReplyTT, er, ep, 0, gp, term.A("token")))
	return out
}

// TestErlDecodeRoundTrip: every frame gerl builds decodes to the fields it
// was built from.
func TestErlDecodeRoundTrip(t *testing.T) {
	var d erlDecoder
	cases := []struct {
		frame func() ([]byte, error)
		want  erlMsg
	}{
		{func() ([]byte, error) { return erlSend(nil, gp, "x") }, erlMsg{op: dopSend, to: gp, payload: []byte("x"), hasPayload: true}},
		{func() ([]byte, error) { return erlRegSend(nil, ep, "pong", 1) }, erlMsg{op: dopRegSend, from: ep, name: "pong", payload: 1, hasPayload: true}},
		{func() ([]byte, error) { return erlUnlinkID(nil, dopUnlinkID, eID, ep, gp) }, erlMsg{op: dopUnlinkID, unlinkID: eID, from: ep, to: gp}},
		{func() ([]byte, error) { return erlMonitor(nil, dopMonitorP, ep, term.Atom("n"), er) }, erlMsg{op: dopMonitorP, from: ep, name: "n", ref: er}},
		{func() ([]byte, error) { return erlMonitorExit(nil, gp, ep, er, term.NoProc) }, erlMsg{op: dopMonitorPExit, from: gp, to: ep, ref: er, payload: term.NoProc}},
		{func() ([]byte, error) { return erlSpawnReply(nil, er, ep, 3, gp) }, erlMsg{op: dopSpawnReply, ref: er, to: ep, flags: 3, result: gp}},
	}
	for _, c := range cases {
		f, err := c.frame()
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.decode(f[4:])
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("decode: %+v, %v\nwant %+v", got, err, c.want)
		}
	}
}

// TestErlDecodeRefuses: frames that do not follow the protocol are refused
// with ErrMalformed, saying why.
func TestErlDecodeRefuses(t *testing.T) {
	ctrl := func(ctrl any, msg ...any) []byte {
		b, _ := etf.Append([]byte{passThrough}, ctrl)
		for _, m := range msg {
			b, _ = etf.Append(b, m)
		}
		return b
	}
	cases := []struct {
		name  string
		frame []byte
		why   string
	}{
		{"empty", nil, "an empty frame"},
		{"a distribution header", []byte{131, 68, 0}, "distribution header"},
		{"not pass-through", []byte{1, 2}, "not a pass-through frame"},
		{"not a tuple", ctrl(term.A("x")), "not a tuple"},
		{"no op", ctrl(term.T(term.A("x"))), "without an operation"},
		{"unknown op", ctrl(term.T(99)), "unknown operation 99"},
		{"send without message", ctrl(term.T(dopSend, term.A(""), gp)), "without its message"},
		{"link with a message", ctrl(term.T(dopLink, ep, gp), 1), "bytes after control message"},
		{"wrong arity", ctrl(term.T(dopLink, ep)), "2 elements, want 3"},
		{"a pid that is not", ctrl(term.T(dopLink, ep, term.A("x"))), "element 3 is not a pid"},
		{"bad mfa", ctrl(term.T(dopSpawnRequest, er, ep, ep, term.T(1, 2), []any{}), []any{}), "{Module, Function, Arity}"},
		{"bad unlink id", ctrl(term.T(dopUnlinkID, term.A("x"), ep, gp)), "not an unlink id"},
		{"bad term", []byte{passThrough, 131, 200}, "control message"},
	}
	var d erlDecoder
	for _, c := range cases {
		_, err := d.decode(c.frame)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s: %v (want %q)", c.name, err, c.why)
		}
	}
}

// FuzzErlangFrame feeds arbitrary frames to the decoder of Erlang's
// control messages: it must never panic, and what it accepts has the
// shape its op says.
func FuzzErlangFrame(f *testing.F) {
	for _, s := range seedErlFrames() {
		f.Add(s)
	}
	var d erlDecoder
	d.etf.Limit = 1 << 20
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := d.decode(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if m.hasPayload != (m.op == dopSend || m.op == dopSendTT || m.op == dopRegSend || m.op == dopRegSendTT ||
			m.op == dopSpawnRequest || m.op == dopSpawnRequestTT || m.op == dopAliasSend || m.op == dopAliasSendTT) {
			t.Fatalf("op %d with payload %v", m.op, m.hasPayload)
		}
	})
}
