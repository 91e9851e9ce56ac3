package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// seedFrames returns real frame payloads of every control message.
func seedFrames() [][]byte {
	c := NewCodec()
	p := term.Pid{Node: "a@h", ID: 1, Creation: 2}
	q := term.Pid{Node: "b@h", ID: 3, Creation: 4}
	r := term.Ref{Node: "a@h", ID: 5, Creation: 2}
	var out [][]byte
	add := func(f []byte, err error) {
		if err == nil {
			out = append(out, f[4:])
		}
	}
	add(c.encodeSend(p, q, term.T(term.A("ping"), p, 1)))
	add(c.encodeSend(p, q, term.T(1, make([]byte, 64))))
	add(c.encodeSend(p, q, sample))
	add(c.encodeSend(p, q, erlangSample))
	add(c.encodeRegSend(p, "pong", map[int]string{1: "x"}))
	add(c.encodePair(opLink, p, q), nil)
	add(c.encodeExit(opLinkExit, p, q, term.NoConnection))
	add(c.encodeExit(opExit, term.Pid{}, q, term.Kill))
	add(c.encodeMonitor(p, q, r), nil)
	add(c.encodeMonitorName(p, "n", r), nil)
	add(c.encodeDemonitor(p, r), nil)
	add(c.encodeDown(q, r, p, term.T(term.PanicTag, "x")))
	add(c.encodeNodes([]term.Atom{"a@h", "b@h"}), nil)
	add(c.encodeSpawnReq(7, p, "f", []any{1, "x"}, true))
	add(c.encodeSpawnReply(7, 0, &q, ""), nil)
	add(c.encodeSpawnGo(7, true), nil)
	add(c.encodeRPCReq(8, "add", []any{1, 2}))
	add(c.encodeRPCReply(8, 0, []int{3}, ""), nil)
	code := &Code{Imports: []string{`"strings"`}, Func: "func() { me ! k }", Names: []string{"me", "k"}, Types: []string{"Pid", "int"}, Values: []any{p, 7}}
	add(c.encodeSpawnFun(9, p, Fun{Code: code}, nil, false, p))
	made := *code
	made.Made = &Made{Module: "worker", Version: "ab12", Index: 3}
	add(c.encodeRPCFun(10, Fun{Code: &made}, []any{1}, q))
	return out
}

// FuzzDecodeFrame feeds arbitrary payloads to the frame decoder: it must
// never panic, and what it accepts must re-encode. (That it allocates
// only in proportion to the frame, TestDecodeAllocatesOnlyWhatTheFrameHolds
// checks.)
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range seedFrames() {
		f.Add(s)
	}
	c := NewCodec()
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = c.decodeMessage(b)
		if v, err := c.DecodeTerm(b); err == nil {
			if _, err := c.AppendTerm(nil, v); err != nil {
				t.Fatalf("decoded %#v does not encode: %v", v, err)
			}
		}
	})
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader, one at a time.
func FuzzReadFrame(f *testing.F) {
	for _, s := range seedFrames() {
		f.Add(append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...))
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(iotest1{bytes.NewReader(b)})
		for {
			if _, err := readFrame(r, nil, 1<<16); err != nil {
				return
			}
		}
	})
}

// iotest1 reads one byte at a time.
type iotest1 struct{ r io.Reader }

func (o iotest1) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

// FuzzHandshake plays a hostile dialer (the fuzzer's bytes) against the
// acceptor, and a hostile acceptor against the dialer: neither may panic,
// and neither may succeed without the cookie.
func FuzzHandshake(f *testing.F) {
	// seed with a real dialer transcript
	var buf bytes.Buffer
	h := hello{VersionLowest, VersionHighest, defaultFlags, 1, make([]byte, nonceLen), "x@h", "a@h"}
	writeHs(&buf, h.marshal())
	writeHs(&buf, append([]byte(hsMagic+string(hsProof)), make([]byte, macLen)...))
	f.Add(buf.Bytes())
	buf.Reset()
	writeHs(&buf, challenge{1, defaultFlags, 1, make([]byte, nonceLen), "a@h"}.marshal())
	writeHs(&buf, append([]byte(hsMagic+string(hsAccept)), make([]byte, macLen)...))
	f.Add(buf.Bytes())
	f.Add([]byte{0, 5, 'N', 0, 0})
	cfg := hsConfig{name: "a@h", creation: 1, flags: defaultFlags, cookie: "secret"}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := acceptHandshake(bufio.NewReader(bytes.NewReader(b)), io.Discard, cfg,
			func(hsPeer, bool) (byte, string) { return 0, "" })
		if err == nil {
			t.Fatal("acceptor authenticated a peer without the cookie")
		}
		_, err = dialHandshake(bufio.NewReader(bytes.NewReader(b)), io.Discard, cfg, "a@h",
			func() bool { return true }, func(hsPeer) bool { return true })
		if err == nil {
			t.Fatal("dialer authenticated a peer without the cookie")
		}
	})
}

func TestHandshakeOverPipe(t *testing.T) {
	for _, tc := range []struct {
		dialCookie, acceptCookie string
		ok                       bool
	}{{"s", "s", true}, {"s", "t", false}} {
		c1, c2 := pipePair()
		errc := make(chan error, 1)
		go func() {
			_, err := acceptHandshake(bufio.NewReader(c2), c2, hsConfig{name: "a@h", cookie: tc.acceptCookie, flags: defaultFlags},
				func(hsPeer, bool) (byte, string) { return 0, "" })
			errc <- err
			c2.Close()
		}()
		p, err := dialHandshake(bufio.NewReader(c1), c1, hsConfig{name: "b@h", cookie: tc.dialCookie, flags: defaultFlags}, "a@h",
			func() bool { return true }, func(hsPeer) bool { return true })
		aerr := <-errc
		c1.Close()
		if tc.ok && (err != nil || aerr != nil || p.name != "a@h") {
			t.Fatalf("good cookie: %v / %v", err, aerr)
		}
		if !tc.ok && (!errors.Is(err, ErrAuth) || !errors.Is(aerr, ErrAuth)) {
			t.Fatalf("bad cookie: %v / %v, want ErrAuth on both sides", err, aerr)
		}
	}
}

// BenchmarkRoundTrip measures an in-process two-node round trip of
// {ping, From, I} to a registered name, over loopback TCP and over the
// in-memory network.
func BenchmarkRoundTrip(b *testing.B) {
	for _, tr := range []string{"tcp", "mem"} {
		b.Run(tr, func(b *testing.B) {
			var ns []*testNode
			if tr == "tcp" {
				ns = tcpNodes(b, 2, nil)
			} else {
				ns = memNodes(b, 2, nil)
			}
			a, bn := ns[0], ns[1]
			pong, _ := bn.Node().Spawn(func(p *nodeProc) {
				for {
					m := p.Receive().(term.Tuple)
					p.Send(m[1], term.T(term.A("pong"), m[2]))
				}
			})
			bn.Node().Register("pong", pong)
			p := proc(b, a.Dist)
			to := term.Name{Name: "pong", Node: bn.Name()}
			if err := a.ConnectContext(context.Background(), bn.Name()); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.Send(to, term.T(term.A("ping"), p.Self(), i))
				p.Receive()
			}
		})
	}
}
