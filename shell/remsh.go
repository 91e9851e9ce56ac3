package shell

import (
	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node/term"
)

// A remote shell (-remsh foo@host) reads input here and evaluates it on
// foo: this node spawns gerl.shell there, a process that runs a shell
// session on foo and talks to this node's client process with messages:
//
//	client -> service: {eval, Ref, Src}  {interrupt}  {complete, Ref, Line}
//	                   {halt_answer, Ref, Bool}
//	service -> client: {ready, Node, Count}  {out, Text}
//	                   {result, Ref, N, Values, Notices, ErrKind, ErrText, HasValue}
//	                   {completion, Ref, Candidates, Prefix}
//	                   {confirm_halt, Ref}  {bye}
//
// Each side monitors the other. Unlike erl, q() ends the remote shell and
// leaves foo running; halt() asks before stopping foo.

const shellService = "gerl.shell"

// encodeOutcome turns an evaluation's outcome into terms:
// {N, Values, Notices, ErrKind, ErrText, HasValue}.
func encodeOutcome(o eval.Outcome, err error) term.Tuple {
	vals := make([]string, len(o.Values))
	for i := range o.Values {
		vals[i] = o.Format(i)
	}
	notices := append([]string{}, o.Notices...)
	kind, text := 0, ""
	if err != nil {
		text = err.Error()
		if ee, ok := err.(*eval.EvalError); ok {
			kind = int(ee.Kind)
		}
	}
	return term.Tuple{o.N, vals, notices, kind, text, o.HasValue}
}

// decodeOutcome is the client's side of encodeOutcome: the reply
// {result, Ref, N, Values, Notices, ErrKind, ErrText, HasValue}.
func decodeOutcome(reply term.Tuple) (eval.Outcome, error) {
	o := eval.Outcome{N: reply[2].(int), HasValue: reply[7].(bool)}
	for _, v := range reply[3].([]string) {
		o.Values = append(o.Values, rawText(v))
	}
	o.Notices = reply[4].([]string)
	if kind := eval.ErrorKind(reply[5].(int)); kind != 0 {
		text := reply[6].(string)
		if kind == eval.CompileError {
			text = "* " + text
		}
		return o, &remoteError{kind: kind, text: text}
	}
	return o, nil
}

// rawText is a value already formatted on the remote node.
type rawText string

func (t rawText) String() string { return string(t) }

// remoteError is an EvalError that happened on the remote node, already
// rendered there.
type remoteError struct {
	kind eval.ErrorKind
	text string
}

func (e *remoteError) Error() string { return e.text }
