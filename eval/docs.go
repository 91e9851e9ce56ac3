package eval

import (
	"fmt"
	"sort"
	"strings"
)

// Doc documents a built-in or a gerl API function for h() and help().
type Doc struct {
	Sig     string // how it is called: spawn(fn, args...) Pid
	Summary string // one line
	Detail  string // more, shown by h()
	Group   string // help() sections: processes, messages, nodes, code, shell
}

// docs is the help text of the shell's built-ins, by name; the gerl API
// functions share them (gerl.Spawn is spawn). Other packages add their
// built-ins' docs through Env.AddBuiltin.
func builtinDocs() map[string]Doc {
	return map[string]Doc{
		"help": {Sig: "help()", Group: "shell", Summary: "list the built-ins"},
		"h": {Sig: `h(name)`, Group: "shell", Summary: "show the documentation of a built-in, or the signature and doc comment of a function",
			Detail: `h("spawn"), h(spawn) and h("gerl.Spawn") all work. h("mod.Fun") shows a function of a loaded
module (its current version) or of a standard package: h("strings.ToUpper") or h(strings.ToUpper).`},
		"f": {Sig: `f() / f("x", ...)`, Group: "shell", Summary: "forget every variable of the shell, or the ones named",
			Detail: `As erl's f() and f(X): the name is free to bind again, with any type. Functions typed
earlier that use a forgotten variable keep its last value. An input that fails binds nothing:
after x := g() fails, x is as it was before, or undefined.`},
		"b": {Sig: "b()", Group: "shell", Summary: "show the shell's variables and their values"},
		"v": {Sig: "v(n)", Group: "shell", Summary: "the value of input n (v(-1) is the previous one)",
			Detail: "The shell keeps the values of the last 20 inputs, as erl does; v(n) of an older one says it is gone."},
		"q":    {Sig: "q()", Group: "shell", Summary: "stop this node and leave (in a remote shell: leave, the remote node keeps running)"},
		"halt": {Sig: "halt()", Group: "shell", Summary: "stop this node at once and leave"},
		"self": {Sig: "self() Pid", Group: "processes", Summary: "the pid of the calling process (the shell, at the prompt)",
			Detail: "Inside a process spawned with spawn, self() is that process."},
		"spawn": {Sig: "spawn(fn, args...) Pid", Group: "processes", Summary: "start fn as a new process",
			Detail: `fn is a function, or the name of a module function ("counter.Loop"). If its first
parameter is a *Proc, the process's own handle is passed there; args fill the rest and are
copied. spawn(node, "mod.Func", args...) starts a module function on another node.
In a loop, pass the loop's values as arguments: spawn(func(p *Proc, i int) {...}, i).`},
		"spawn_link": {Sig: "spawn_link(fn, args...) Pid", Group: "processes", Summary: "spawn, linked to the caller before the new process runs",
			Detail: `The same forms as spawn: a function, "mod.Func" with args, or node, "mod.Func", args.`},
		"spawn_monitor": {Sig: "spawn_monitor(fn, args...) (Pid, Ref)", Group: "processes", Summary: "spawn, monitored by the caller before the new process runs",
			Detail: `The same forms as spawn: a function, "mod.Func" with args, or node, "mod.Func", args.`},
		"exit": {Sig: "exit(reason) / exit(pid, reason)", Group: "processes", Summary: "end the caller with reason, or send pid an exit signal",
			Detail: `exit(pid, A("kill")) kills pid whatever it does; other reasons end a process that does not
trap exits (normal is ignored), or reach a trapping one as an ExitSignal message.
In Go: gerl.ExitSelf(reason) and gerl.Exit(pid, reason).`},
		"link":         {Sig: "link(pid)", Group: "processes", Summary: "link the caller and pid: when one dies abnormally, so does the other"},
		"unlink":       {Sig: "unlink(pid)", Group: "processes", Summary: "remove a link"},
		"monitor":      {Sig: "monitor(pid or name) Ref", Group: "processes", Summary: "get a Down message when the process exits (noproc if it is gone)"},
		"demonitor":    {Sig: "demonitor(ref) bool", Group: "processes", Summary: "remove a monitor and any Down it already delivered"},
		"trap_exit":    {Sig: "trap_exit(on bool) bool", Group: "processes", Summary: "turn exit signals into Exit messages (process_flag(trap_exit, on))"},
		"process_flag": {Sig: `process_flag(flag, value) old`, Group: "processes", Summary: `set a flag of this process: "trap_exit" (true/false, as trap_exit(on)), "max_stack" (bytes), "max_mailbox" (messages; the process is killed with {max_mailbox, N} past it)`},
		"register":     {Sig: "register(name, pid)", Group: "processes", Summary: "name a process on this node"},
		"unregister":   {Sig: "unregister(name)", Group: "processes", Summary: "remove a name"},
		"whereis":      {Sig: "whereis(name) Pid", Group: "processes", Summary: `the pid registered as name, or the atom undefined`},
		"registered":   {Sig: "registered() []Atom", Group: "processes", Summary: "the registered names"},
		"regs":         {Sig: "regs()", Group: "processes", Summary: "print the registered processes"},
		"i":            {Sig: "i() / i(pid)", Group: "processes", Summary: "print the process table, or one process in detail"},
		"memory":       {Sig: "memory() map", Group: "processes", Summary: "memory in use by the node, in bytes, and counts"},
		"pid":          {Sig: `pid("<foo@vm.42.0>") Pid`, Group: "processes", Summary: "a pid from its text (or pid(42) for local id 42)"},
		"sleep": {Sig: "sleep(timeout)", Group: "processes", Summary: "pause the caller (Ctrl-C interrupts it at the prompt)",
			Detail: `The timeout is milliseconds, a time.Duration, or A("infinity") (until Ctrl-C, or a kill).`},
		"hibernate": {Sig: "hibernate(fn, args...)", Group: "processes", Summary: "wait for a message without a goroutine, then run fn(args...) (erlang:hibernate)",
			Detail: `The calling process gives up its goroutine and stack (its deferred calls run) and holds
only its pid, mailbox, links, monitors and name: a few hundred bytes instead of 2.5 KB. The
next message (or exit signal) starts fn on a new goroutine; the process ends when fn returns.
hibernate never returns. A process that waits long between messages loops with it:
  var loop func(n int); loop = func(n int) { m := receive(); ...; hibernate(loop, n+1) }
The shell's own process cannot hibernate. In Go: gerl.Hibernate(fn, args...).`},
		"send": {Sig: "send(to, msg) msg", Group: "messages", Summary: "send msg to a pid or name; `to ! msg` is the same",
			Detail: `to is a pid, a registered name on this node ("pong" or A("pong")), or a name on another
node: Name{"pong", "bar@vm"} or T(A("pong"), A("bar@vm")). The receiver gets its own copy.`},
		"receive": {Sig: "receive(patterns..., timeout) any", Group: "messages", Summary: "take the oldest message (that matches a pattern), waiting for one",
			Detail: `With patterns, the oldest message that matches one of them; the others stay in the
mailbox, in order (erl's selective receive). A pattern is a value (A("ping"), 7), Any
(erl's _), a Tuple of patterns (T(A("reply"), ref, Any)), a message type with the fields
to match set (Down{Ref: ref}), or a func(any) bool. A last argument that is a number
(milliseconds), a time.Duration, or A("infinity") is the timeout: receive returns the
atom timeout when nothing matched in time. A negative timeout is an error.`},
		"send_after": {Sig: "send_after(ms, to, msg) Ref", Group: "messages", Summary: "send msg to a pid or name after ms milliseconds",
			Detail: `The timer belongs to the caller and stops when it exits; cancel_timer(ref) stops it.`},
		"interval": {Sig: "interval(ms, to, msg) Ref", Group: "messages", Summary: "send msg to a pid or name every ms milliseconds",
			Detail: `Until cancel_timer(ref), or until the caller exits.`},
		"cancel_timer": {Sig: "cancel_timer(ref) bool", Group: "messages", Summary: "stop a timer; true if it was still running"},
		"flush":        {Sig: "flush()", Group: "messages", Summary: "print every message in the shell's mailbox and empty it"},
		"call": {Sig: "call(to, request[, timeout]) any", Group: "messages", Summary: "request/reply (gen_server:call): waits (5 s by default) for the callee's reply(req, value)",
			Detail: "The callee receives a Request and answers with reply(req, value). The timeout is milliseconds,\na time.Duration, or A(\"infinity\"). If the callee exits first, or the timeout passes, call raises;\na late reply is dropped. gerl.Call returns (value, error) instead."},
		"reply":        {Sig: "reply(req, value)", Group: "messages", Summary: "answer a Request received by a server process"},
		"A":            {Sig: `A("name") Atom`, Group: "messages", Summary: "an atom: A(\"ping\")"},
		"T":            {Sig: "T(elems...) Tuple", Group: "messages", Summary: "a tuple: T(A(\"ping\"), self())"},
		"node":         {Sig: "node() Atom", Group: "nodes", Summary: "this node's name (nonode@nohost without distribution)"},
		"nodes":        {Sig: "nodes() []Atom", Group: "nodes", Summary: "the connected nodes (hidden ones are not listed)"},
		"ping":         {Sig: "ping(node)", Group: "nodes", Summary: "connect to node and print pong, or pang if it cannot be reached"},
		"monitor_node": {Sig: "monitor_node(node, on)", Group: "nodes", Summary: "get a NodeDown message when the connection to node is lost"},
		"disconnect":   {Sig: "disconnect(node) bool", Group: "nodes", Summary: "drop the connection to node"},
		"rpc": {Sig: `rpc(node, "mod.Func", args...) any`, Group: "nodes", Summary: "call a function on another node and return its result",
			Detail: "The function must be known there: a loaded module's function (see nl) or a registered one.\nErrors (node down, no such function, a panic) are raised."},
		"multicall": {Sig: `multicall("mod.Func", args...) ([]any, []Atom)`, Group: "nodes", Summary: "call a function on every node; results and the nodes that failed"},
		"cast":      {Sig: `cast(node, "mod.Func", args...)`, Group: "nodes", Summary: "call a function on another node without waiting"},

		"supervisor.Start": {Sig: "supervisor.Start(spec) (*Sup, error)", Group: "supervisors",
			Summary: `start a supervisor and its children (after import "gerl/supervisor")`,
			Detail: `sup, err := supervisor.Start(supervisor.Spec{
    Strategy: supervisor.OneForOne, Intensity: 3, Period: time.Minute,
    Children: []supervisor.Child{{ID: "w", Start: worker, Name: "w"}},
})
It returns once every child has started. See h("supervisor.Spec"), h("supervisor.Child") and
h("supervisor.Sup"). Unlike StartLink, the supervisor survives the shell process's crashes.`},
		"supervisor.StartLink": {Sig: "supervisor.StartLink(spec) (*Sup, error)", Group: "supervisors",
			Summary: "supervisor.Start, linked to the calling process"},
		"supervisor.At": {Sig: "supervisor.At(pid or name) *Sup", Group: "supervisors",
			Summary: "a handle on a running supervisor, possibly on another node (Name{...})"},
		"supervisor.Spec": {Sig: "supervisor.Spec{Name, Strategy, Intensity, Period, Children}", Group: "supervisors",
			Summary: "what a supervisor does",
			Detail: `Name registers the supervisor. Strategy: OneForOne (restart the child that exited),
OneForAll (restart them all), RestForOne (it and those started after it). More than Intensity
restarts within Period (default 1 in 5 s; NoRestarts allows none) and the supervisor gives up:
it stops its children and exits with shutdown. Children start in order, stop in reverse.`},
		"supervisor.Child": {Sig: "supervisor.Child{ID, Start | Fn+Args | Supervisor, Restart, Shutdown, Name}", Group: "supervisors",
			Summary: "one child of a supervisor",
			Detail: `Start is a func(*Proc); or Fn and Args, as spawn(fn, args...); or Supervisor, a *Spec, for a
supervisor nested under this one (a supervision tree). Restart: Permanent (always restarted),
Transient (after an abnormal exit), Temporary (never). Shutdown: how long it has to stop
(default 5 s; BrutalKill, Infinity). Name registers each incarnation under that name.`},
		"supervisor.Sup": {Sig: "sup.WhichChildren() / CountChildren() / TerminateChild(id) / ...", Group: "supervisors",
			Summary: "what a supervisor handle can ask",
			Detail: `WhichChildren, CountChildren, TerminateChild(id), RestartChild(id), DeleteChild(id),
StartChild(child), Stop(timeout), Pid(), Sub(name or pid) for a nested supervisor.`},
	}
}

// helpText renders help(): the built-ins by group, one line each.
func helpText(docs map[string]Doc) string {
	groups := map[string][]string{}
	for name, d := range docs {
		groups[d.Group] = append(groups[d.Group], name)
	}
	var b strings.Builder
	for _, g := range []string{"processes", "messages", "supervisors", "nodes", "code", "observing", "shell"} {
		names := groups[g]
		if len(names) == 0 {
			continue
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "%s:\n", strings.ToUpper(g[:1])+g[1:])
		for _, n := range names {
			fmt.Fprintf(&b, "  %-36s %s\n", docs[n].Sig, docs[n].Summary)
		}
	}
	b.WriteString("Send with `pid ! msg`. The gerl API is also there qualified: gerl.Spawn, gerl.Receive...\n")
	b.WriteString("h(name) shows more about one of them.\n")
	return b.String()
}

// docText renders h(name).
func docText(d Doc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n    %s\n", d.Sig, d.Summary)
	if d.Detail != "" {
		for _, line := range strings.Split(d.Detail, "\n") {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	return b.String()
}
