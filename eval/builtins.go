package eval

import (
	"fmt"
	"math"
	"path"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/traefik/yaegi/stdlib"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// builtins returns the shell's built-ins, named as in erl, bound to s:
// the process built-ins every interpreter of the Env has (Builtins), and
// those of a shell (v, b, h, help, q, halt). They are dot-imported, so they
// read as at the erl prompt: self(), spawn(f), flush(), i().
func (s *Session) builtins() map[string]reflect.Value {
	b := s.env.Builtins()
	for name, fn := range map[string]any{
		captureFunc: s.capture,
		"flush":     s.flush,
		"h":         s.h,
		"f":         s.f,
		"help":      s.help,
		"b":         s.b,
		"v":         s.v,
		"q":         s.q,
		"halt":      s.halt,
	} {
		b[name] = reflect.ValueOf(fn)
	}
	return b
}

// makeBuiltins builds the table Builtins returns (see resolve.go).
func (e *Env) makeBuiltins() map[string]reflect.Value {
	b := termTypes()
	bi := builtins{e}
	for name, fn := range map[string]any{
		bangFunc:        e.Bang,
		callFunc:        callNullary,
		goFunc:          e.GoStatement,
		goSpreadFunc:    e.GoStatementSpread,
		funFunc:         e.tagFun,
		guardEnterFunc:  e.guardEnter,
		guardTickFunc:   e.guardTick,
		indexFunc:       CheckIndex,
		indexTupleFunc:  TupleElem,
		indexMakeFunc:   e.checkMake,
		minFunc:         Min,
		maxFunc:         Max,
		clearFunc:       Clear,
		"self":          e.Self,
		"node":          bi.node,
		"nodes":         e.Nodes,
		"ping":          bi.ping,
		"spawn":         e.Spawn,
		"spawn_link":    e.SpawnLink,
		"spawn_monitor": e.SpawnMonitor,
		"register":      bi.register,
		"unregister":    bi.unregister,
		"whereis":       bi.whereis,
		"registered":    e.Registered,
		"regs":          bi.regs,
		"i":             bi.i,
		"link":          bi.link,
		"unlink":        bi.unlink,
		"monitor":       e.Monitor,
		"demonitor":     e.Demonitor,
		"exit":          bi.exit,
		"trap_exit":     e.TrapExit,
		"process_flag":  bi.processFlag,
		"group_leader":  bi.groupLeader,
		"flush":         bi.flush,
		"receive":       bi.receive,
		"send":          e.Bang,
		"call":          bi.call,
		"reply":         bi.reply,
		"sleep":         bi.sleep,
		"hibernate":     e.Hibernate,
		"monitor_node":  bi.monitorNode,
		"disconnect":    e.Disconnect,
		"rpc":           bi.rpc,
		"multicall":     e.MultiCall,
		"cast":          bi.cast,
		"memory":        bi.memory,
		"pid":           bi.pid,
		"send_after":    bi.sendAfter,
		"interval":      bi.interval,
		"cancel_timer":  bi.cancelTimer,
	} {
		b[name] = reflect.ValueOf(fn)
	}
	return b
}

// builtins are the process built-ins of an Env (see Env.Builtins).
type builtins struct{ e *Env }

// callNullary calls f, a func() T, and returns its result: the helper of
// the top-level literal rewrite (rewrite_toplevel.go).
func callNullary(f any) any {
	return reflect.ValueOf(f).Call(nil)[0].Interface()
}

// node is erl's node() and node(X): this node's name, or the node of a
// pid, ref or name.
func (b builtins) node(x ...any) term.Atom {
	if len(x) == 0 {
		return b.e.NodeName()
	}
	switch v := x[0].(type) {
	case term.Pid:
		return v.Node
	case term.Ref:
		return v.Node
	case term.Name:
		return v.Node
	case term.Atom, string:
		return b.e.NodeName() // a local registered name
	}
	panic(fmt.Errorf("node: %s is not a pid, a ref or a name", term.Format(x[0])))
}

// isBuiltin reports whether name is one of the shell's built-ins.
func (s *Session) isBuiltin(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.docs[name]
	return ok
}

// printf prints where the calling process's group leader prints.
func (b builtins) printf(format string, args ...any) {
	fmt.Fprintf(b.e.Output(), format, args...)
}

// printf prints where the shell's input prints: the session's group
// leader.
func (s *Session) printf(format string, args ...any) {
	fmt.Fprintf(s.out, format, args...)
}

// ping prints pong or pang, and for pang says why (erl is silent, which
// leaves users guessing about cookies).
func (b builtins) ping(n any) term.Atom {
	if err := b.e.PingErr(n); err != nil {
		b.printf("ping %s: %v\n", term.Format(n), err)
		return "pang"
	}
	return "pong"
}

func (b builtins) register(name any, pid term.Pid) bool {
	b.e.Register(name, pid)
	return true
}

func (b builtins) unregister(name any) bool {
	b.e.Unregister(name)
	return true
}

// whereis returns the pid, or the atom undefined as erl does.
func (b builtins) whereis(name any) any {
	if pid, ok := b.e.Whereis(name); ok {
		return pid
	}
	return term.Undefined
}

func (b builtins) link(pid any) bool {
	b.e.Link(pidArg("link", pid))
	return true
}

func (b builtins) unlink(pid any) bool {
	b.e.Unlink(pidArg("unlink", pid))
	return true
}

// pidArg is a built-in's pid argument, which may come from another
// built-in as any (whereis).
func pidArg(what string, v any) term.Pid {
	if pid, ok := v.(term.Pid); ok {
		return pid
	}
	if v == term.Undefined {
		panic(fmt.Errorf("%s: undefined is not a pid (whereis found no process by that name?)", what))
	}
	panic(fmt.Errorf("%s: %s is not a pid", what, term.Format(v)))
}

// exit is erl's exit/1 and exit/2. Like the other built-ins that answer
// erl's true (link, register, cast...), it returns Go's true, which prints
// as erl's and which &&, || and if take (exit(p, k) && ok).
func (b builtins) exit(args ...any) bool {
	switch len(args) {
	case 1:
		b.e.ExitSelf(args[0])
	case 2:
		b.e.Exit(pidArg("exit", args[0]), args[1])
		return true
	}
	panic(fmt.Errorf("exit: want exit(reason) or exit(pid, reason), got %d arguments", len(args)))
}

// processFlag is erl's process_flag(Flag, Value): it sets a flag of the
// calling process and returns its previous value.
func (b builtins) processFlag(flag any, value any) any {
	f, _ := atomArg("process_flag", flag)
	switch f {
	case "trap_exit":
		on, ok := value.(bool)
		if !ok {
			panic(fmt.Errorf("process_flag: trap_exit takes true or false, not %s", term.Format(value)))
		}
		return b.e.TrapExit(on)
	case "max_stack":
		return b.e.setProcMaxStack(intArg("process_flag(max_stack)", value))
	case "max_mailbox":
		n := intArg("process_flag(max_mailbox)", value)
		if n < 0 || n > math.MaxInt32 {
			panic(fmt.Errorf("process_flag(max_mailbox): %d is not a number of messages (0 for no limit)", n))
		}
		return b.e.self("process_flag").SetMaxMailbox(int(n))
	}
	panic(fmt.Errorf("process_flag: %s is not a flag gerl knows; trap_exit, max_stack and max_mailbox are", term.Format(flag)))
}

// intArg reads an integer argument of any Go integer type.
func intArg(what string, v any) int64 {
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if rv.Uint() > math.MaxInt64 {
			panic(fmt.Errorf("%s: %d is too large", what, rv.Uint()))
		}
		return int64(rv.Uint())
	}
	panic(fmt.Errorf("%s: want an integer, got %s", what, term.Format(v)))
}

// call is request/reply with erl's defaults: the timeout is milliseconds
// (or a time.Duration), 5 seconds when not given; a failed call raises.
func (b builtins) call(to any, request any, timeout ...any) any {
	d := 5 * time.Second
	if len(timeout) == 1 {
		var err error
		d, err = timeoutArg("call", timeout[0])
		raise(err)
	} else if len(timeout) > 1 {
		panic(fmt.Errorf("call: want call(to, request) or call(to, request, timeout)"))
	}
	v, err := b.e.Call(to, request, d)
	raise(err)
	return v
}

func (b builtins) reply(req term.Request, value any) term.Atom {
	b.e.Reply(req, value)
	return term.OK
}

// receive is erl's receive: receive() takes the oldest message, waiting
// for one; receive(patterns...) the oldest message that matches one of the
// patterns (term.Match: T(A("reply"), ref, Any), Down{Ref: ref}, a guard
// func(any) bool...), leaving the others in the mailbox, in order. A last
// argument that is a timeout (milliseconds, a time.Duration, or
// A("infinity")), as in erl's after clause, bounds the wait: receive then
// returns the atom timeout when nothing matched in time.
func (b builtins) receive(args ...any) any {
	d := node.Forever
	if n := len(args); n > 0 && isTimeout(args[n-1]) {
		var err error
		d, err = timeoutArg("receive", args[n-1])
		raise(err)
		args = args[:n-1]
	}
	if m, ok := b.e.ReceivePattern(d, args...); ok {
		return m
	}
	return term.Atom("timeout")
}

// isTimeout reports whether v is given as a timeout: a number, a
// time.Duration, or the atom infinity.
func isTimeout(v any) bool {
	if a, ok := v.(term.Atom); ok {
		return a == "infinity"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func (b builtins) sleep(d any) term.Atom {
	dur, err := timeoutArg("sleep", d)
	raise(err)
	b.e.Sleep(dur)
	return term.OK
}

func (b builtins) monitorNode(n any, on bool) bool {
	b.e.MonitorNode(n, on)
	return true
}

// rpc raises the call's error, as erl's rpc:call returns {badrpc, R}.
func (b builtins) rpc(n any, fn any, args ...any) any {
	v, err := b.e.RPC(n, fn, args...)
	raise(err)
	return v
}

func (b builtins) cast(n any, fn any, args ...any) bool {
	b.e.Cast(n, fn, args...)
	return true
}

// flush prints and removes every message in the shell's mailbox.
func (s *Session) flush() term.Atom {
	for _, m := range s.env.self("flush").Drain() {
		fmt.Fprintf(s.msgs, "Shell got %s\n", FormatValue(m))
	}
	return term.OK
}

// flush prints and removes every message in the calling process's
// mailbox.
func (b builtins) flush() term.Atom {
	for _, m := range b.e.self("flush").Drain() {
		b.printf("Shell got %s\n", FormatValue(m))
	}
	return term.OK
}

// groupLeader is erl's group_leader(): the calling process's group
// leader (the atom undefined when it has none), and group_leader(leader,
// pid), which makes leader pid's (a local pid).
func (b builtins) groupLeader(args ...any) any {
	switch len(args) {
	case 0:
		if l := b.e.self("group_leader").GroupLeader(); !l.IsZero() {
			return l
		}
		return term.Undefined
	case 2:
		leader, ok1 := args[0].(term.Pid)
		pid, ok2 := args[1].(term.Pid)
		if !ok1 || !ok2 {
			panic(fmt.Errorf("group_leader: want group_leader(leader Pid, pid Pid), got %s", term.Format(term.Tuple(args))))
		}
		raise(b.e.node.SetGroupLeader(pid, leader))
		return "true"
	}
	panic(fmt.Errorf("group_leader: want group_leader() or group_leader(leader, pid), got %d arguments", len(args)))
}

// i prints the process table, or one process in detail.
func (b builtins) i(pid ...any) term.Atom {
	n := b.e.node
	if len(pid) > 1 {
		panic(fmt.Errorf("i: want i() or i(pid), got %d arguments", len(pid)))
	}
	if len(pid) == 1 {
		if pid[0] == term.Undefined {
			return term.Undefined // erl's i(undefined): no such process
		}
		info, ok := n.Info(pidArg("i", pid[0]))
		if !ok {
			return term.Undefined
		}
		b.printf("pid: %s\nregistered_name: %s\ninitial_call: %s\nstatus: %s\nmessage_queue_len: %d\nlinks: %s\nmonitors: %d\nmonitoring: %d\ntrap_exit: %t\n",
			info.Pid, term.FormatAtom(orUndefined(info.Name)), info.Func, info.Status, info.MailboxLen,
			term.Format(info.Links), info.Monitors, info.Watching, info.TrapExit)
		return term.OK
	}
	tw := tabwriter.NewWriter(b.e.Output(), 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "Pid\tInitial Call\tMsgs\tRegistered\tStatus")
	infos := n.Processes()
	for _, info := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", info.Pid, info.Func, info.MailboxLen, info.Name, info.Status)
	}
	tw.Flush()
	m := n.Memory()
	b.printf("Total: %d processes, %d goroutines, %s in use\n", len(infos), m.Goroutines, bytesText(m.Heap+m.Stacks))
	return term.OK
}

func orUndefined(a term.Atom) term.Atom {
	if a == "" {
		return term.Undefined
	}
	return a
}

// regs prints the registered processes.
func (b builtins) regs() term.Atom {
	n := b.e.node
	tw := tabwriter.NewWriter(b.e.Output(), 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "Name\tPid\tInitial Call\tMsgs")
	for _, name := range n.Registered() {
		pid, ok := n.Whereis(name)
		if !ok {
			continue
		}
		info, _ := n.Info(pid)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", term.FormatAtom(name), pid, info.Func, info.MailboxLen)
	}
	tw.Flush()
	return term.OK
}

// memory returns the node's memory figures, as erl's memory() does, by
// name: memory()["total"].
func (b builtins) memory() map[string]uint64 {
	m := b.e.node.Memory()
	return map[string]uint64{
		"total":      m.Total,
		"heap":       m.Heap,
		"stacks":     m.Stacks,
		"processes":  uint64(m.Processes),
		"goroutines": uint64(m.Goroutines),
		"gc_cycles":  uint64(m.GCCycles),
	}
}

func bytesText(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// pid parses "<foo@vm.42.0>", or takes a local id: pid(42).
func (b builtins) pid(v any) term.Pid {
	switch x := v.(type) {
	case string:
		p, err := term.ParsePid(x)
		raise(err)
		return p
	case int:
		if x < 0 {
			panic(fmt.Errorf("pid: %d is not a process id (ids are 0 or more)", x))
		}
		n := b.e.node
		return term.Pid{Node: n.Name(), ID: uint64(x), Creation: n.Creation()}
	}
	panic(fmt.Errorf("pid: want pid(\"<node.id.creation>\") or pid(id), got %s", term.Format(v)))
}

// h prints the documentation of a built-in or gerl API function, given by
// name or as the function itself, or of a module's or a standard
// package's function, by name: h("strings.ToUpper") (funcdoc.go).
func (s *Session) h(what any) term.Atom {
	name, ok := what.(string)
	if !ok {
		name = s.nameOf(what)
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "gerl."), "()")
	s.mu.Lock()
	d, found := s.docs[name]
	if !found {
		d, found = s.docs[apiToBuiltin(name)]
	}
	s.mu.Unlock()
	if found {
		s.printf("%s", docText(d))
		return term.OK
	}
	if name == "" {
		s.printf("no documentation for that value; help() lists the built-ins, h(\"gerl.Spawn\") documents the gerl API, h(\"mod.Fun\") a function of a module or a standard package\n")
		return "error"
	}
	text, err := s.funcDoc(name)
	if err != nil {
		s.printf("%v\n", err)
		return "error"
	}
	s.printf("%s", text)
	return term.OK
}

// nameOf finds the built-in a function value is.
func (s *Session) nameOf(fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		return ""
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return ""
	}
	for name, b := range s.builtins() {
		if b.Kind() == reflect.Func && b.Pointer() == v.Pointer() {
			return name
		}
	}
	for name, b := range s.env.addedBuiltins() {
		if bv := reflect.ValueOf(b.Fn); bv.Kind() == reflect.Func && bv.Pointer() == v.Pointer() {
			return name
		}
	}
	for p, syms := range s.env.Exports() {
		for name, sym := range syms {
			if sym.Kind() == reflect.Func && sym.Pointer() == v.Pointer() {
				return path.Base(p) + "." + name
			}
		}
	}
	// A standard package's function: h(strings.ToUpper). Its key is
	// "path/name"; funcDoc takes the path.
	for key, syms := range stdlib.Symbols {
		for name, sym := range syms {
			if sym.Kind() == reflect.Func && sym.Pointer() == v.Pointer() {
				return key[:strings.LastIndexByte(key, '/')] + "." + name
			}
		}
	}
	return ""
}

// apiToBuiltin maps gerl API names to the built-in documenting them.
func apiToBuiltin(name string) string {
	switch name {
	case "ExitSelf":
		return "exit"
	case "ReceiveTimeout", "ReceiveMatch":
		return "receive"
	case "RPC":
		return "rpc"
	case "MultiCall":
		return "multicall"
	case "Node":
		return "node"
	}
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Session) help() term.Atom {
	s.mu.Lock()
	text := helpText(s.docs)
	s.mu.Unlock()
	s.printf("%s", text)
	return term.OK
}

// b prints the shell's variables.
func (s *Session) b() term.Atom {
	globals := s.globals()
	names := make([]string, 0, len(globals))
	for name := range globals {
		if !strings.HasPrefix(name, "_") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		v := globals[name]
		text := "nil"
		if v.IsValid() && v.CanInterface() {
			text = FormatValue(v.Interface())
		}
		s.printf("%s = %s\n", name, text)
	}
	return term.OK
}

func (s *Session) q() term.Atom {
	if s.onQuit != nil {
		s.onQuit(false)
	}
	return term.OK
}

func (s *Session) halt() term.Atom {
	if s.onQuit != nil {
		s.onQuit(true)
	}
	return term.OK
}
