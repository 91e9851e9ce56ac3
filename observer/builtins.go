package observer

import (
	"fmt"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node/term"
)

// The shell's built-ins of the observer. trace prints to the shell that
// called it, from then on, until untrace() (or untrace(A("all"))).

func (a *Agent) builtins() map[string]eval.Builtin {
	doc := func(sig, summary, detail string) eval.Doc {
		return eval.Doc{Sig: sig, Summary: summary, Detail: detail, Group: "observing"}
	}
	return map[string]eval.Builtin{
		"observer": {Fn: a.observerBuiltin, Doc: doc(`observer() / observer("host:port") string`,
			"serve the observer's web page from this node and return its URL",
			`The page shows every connected node (traffic, processes, supervision trees) and the trace
as a sequence diagram, live. observer() serves on a free port of 127.0.0.1; an address that is
not loopback needs the node's cookie, and the URL then holds the access token. Calling it
again returns the same URL. gerl -observer host:port starts it with the node.`)},
		"trace": {Fn: a.traceBuiltin, Doc: doc(`trace(pid or name or A("all"))`,
			"print every message the process sends or receives, and its exit (erl's dbg)",
			`A pid or a name (Name{"pong", "bar@vm"} for another node's) is traced on its own node;
A("all") traces every process of this node and of every connected node. Each event prints
as dbg prints it: (<pid>) << Msg for a message received, (<pid>) To ! Msg for one sent,
(<pid>) exit Reason. The page of observer() draws the same trace. At most 1000 events a
second per node are printed; the rest are counted ("N trace events dropped").`)},
		"untrace": {Fn: a.untraceBuiltin, Doc: doc(`untrace() / untrace(pid or name or A("all"))`,
			"stop tracing a process, or (without argument, or all) everything, everywhere", "")},
	}
}

func (a *Agent) observerBuiltin(addr ...string) string {
	if len(addr) > 1 {
		panic(fmt.Errorf("observer: want observer() or observer(\"host:port\")"))
	}
	at := ""
	if len(addr) == 1 {
		at = addr[0]
	}
	url, err := a.Serve(at)
	if err != nil {
		panic(err)
	}
	return url
}

func (a *Agent) traceBuiltin(target any) term.Atom {
	w := a.env.CallerOutput()
	if w != nil {
		a.AddPrinter(w)
	}
	if _, err := a.Trace(a.env.CallerContext(), target, true); err != nil {
		panic(err)
	}
	return term.OK
}

func (a *Agent) untraceBuiltin(target ...any) term.Atom {
	var what any = atomAll
	switch len(target) {
	case 0:
	case 1:
		what = target[0]
	default:
		panic(fmt.Errorf("untrace: want untrace() or untrace(pid or name or A(\"all\"))"))
	}
	_, err := a.Trace(a.env.CallerContext(), what, false)
	if what == atomAll {
		if w := a.env.CallerOutput(); w != nil {
			a.RemovePrinter(w)
		}
	}
	if err != nil {
		panic(err)
	}
	return term.OK
}
