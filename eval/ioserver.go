package eval

import (
	"fmt"
	"io"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The io protocol between a process and its group leader is Erlang's
// (https://www.erlang.org/doc/apps/stdlib/io_protocol.html), the part of
// it that output needs: a writer sends
//
//	{io_request, From, ReplyAs, {put_chars, unicode, Chars}}
//
// and the leader writes Chars (a string, or a binary from an Erlang
// node) and answers {io_reply, ReplyAs, ok}. A request the leader cannot
// serve (input) is answered {io_reply, ReplyAs, {error, request}}. A
// request whose From is the zero pid (a goroutine that is no process
// wrote it) gets no answer.

var (
	atomIORequest = term.Atom("io_request")
	atomIOReply   = term.Atom("io_reply")
	atomPutChars  = term.Atom("put_chars")
	atomUnicode   = term.Atom("unicode")
	atomRequest   = term.Atom("request")
)

// ioRequest sends chars to leader as proc (nil: no process, then without
// waiting) and waits for the leader's answer, or for the leader to go
// down, or for the caller's input to be interrupted.
func (e *Env) ioRequest(proc *node.Proc, leader term.Pid, chars string) error {
	put := term.Tuple{atomPutChars, atomUnicode, chars}
	if proc == nil {
		// A goroutine of a go statement: it waits for the io_reply all
		// the same, as a process of its own, so that what it prints is
		// written before what it does next (a message sent after a print
		// must not overtake it).
		return e.node.WithProcess("io request", func(p *node.Proc) error {
			return e.ioRequest(p, leader, chars)
		})
	}
	ref := proc.Monitor(leader)
	defer proc.Demonitor(ref, true)
	if err := proc.Send(leader, term.Tuple{atomIORequest, proc.Self(), ref, put}); err != nil {
		return err
	}
	ctx := e.CallerContext()
	m, _, err := proc.ReceiveContext(ctx, func(m any) bool {
		switch x := m.(type) {
		case term.Tuple:
			return len(x) == 3 && x[0] == atomIOReply && x[1] == ref
		case term.Down:
			return x.Ref == ref
		}
		return false
	}, node.Forever)
	if err != nil {
		return err
	}
	if d, ok := m.(term.Down); ok {
		return fmt.Errorf("group leader %s: %s", leader, term.Format(d.Reason))
	}
	return nil
}

// serveIO is the body of a session's group leader process: it writes what
// io requests carry to w.
func serveIO(p *node.Proc, w io.Writer) {
	for {
		req, ok := p.Receive().(term.Tuple)
		if !ok || len(req) != 4 || req[0] != atomIORequest {
			continue // not an io request: nothing to do with it
		}
		from, _ := req[1].(term.Pid)
		var reply any = term.OK
		if chars, ok := putChars(req[3]); ok {
			_, _ = io.WriteString(w, chars)
		} else {
			reply = term.Tuple{term.Atom("error"), atomRequest}
		}
		if from != (term.Pid{}) {
			_ = p.Send(from, term.Tuple{atomIOReply, req[2], reply})
		}
	}
}

// putChars returns the characters of a put_chars request:
// {put_chars, Encoding, Chars}, or {put_chars, Chars} (Erlang's older
// form); Chars a string, a binary or a list of character codes.
func putChars(r any) (string, bool) {
	t, ok := r.(term.Tuple)
	if !ok || len(t) < 2 || len(t) > 3 || t[0] != atomPutChars {
		return "", false
	}
	switch c := t[len(t)-1].(type) {
	case string:
		return c, true
	case []byte:
		return string(c), true
	case []any:
		rs := make([]rune, 0, len(c))
		for _, x := range c {
			n, ok := x.(int)
			if !ok {
				return "", false
			}
			rs = append(rs, rune(n))
		}
		return string(rs), true
	}
	return "", false
}
