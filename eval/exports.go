package eval

import (
	"maps"
	"reflect"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/supervisor"
	"github.com/gerl-dev/gerl/node/term"
)

// SupervisorPath is the import path of package supervisor in interpreted
// code: import "gerl/supervisor".
const SupervisorPath = "gerl/supervisor"

// GerlPath is the import path of the gerl API in interpreted code:
// import "gerl".
const GerlPath = "gerl"

// typeOf is how yaegi exports expect a type: a nil pointer to it.
func typeOf[T any]() reflect.Value { return reflect.ValueOf((*T)(nil)) }

// termTypes are the term types both the gerl package and the shell's
// built-ins export, under the names the prompt and the docs use. Two are
// named differently in Go's node/term: ExitSignal is term.ExitSignal (the name
// Exit is the function that sends one, as exit is at the prompt), and
// Request is term.Request.
func termTypes() map[string]reflect.Value {
	return map[string]reflect.Value{
		"Atom":       typeOf[term.Atom](),
		"Tuple":      typeOf[term.Tuple](),
		"Pid":        typeOf[term.Pid](),
		"Ref":        typeOf[term.Ref](),
		"Name":       typeOf[term.Name](),
		"Down":       typeOf[term.Down](),
		"ExitSignal": typeOf[term.ExitSignal](),
		"NodeUp":     typeOf[term.NodeUp](),
		"NodeDown":   typeOf[term.NodeDown](),
		"Request":    typeOf[term.Request](),
		"Proc":       typeOf[node.Proc](),
		"ProcInfo":   typeOf[node.ProcInfo](),
		"A":          reflect.ValueOf(term.A),
		"T":          reflect.ValueOf(term.T),
		"Any":        reflect.ValueOf(term.Any),
		"Forever":    reflect.ValueOf(node.Forever),
		"BigInt":     typeOf[term.BigInt](),
		"NewBigInt":  reflect.ValueOf(term.NewBigInt),
	}
}

// erlangTypes are the types of what Erlang and Elixir nodes send that
// have no Go form (terms.md, Terms and Erlang), with their constructors,
// but for BigInt (a termType: a send of a *big.Int points to it). They
// are in the gerl package only (gerl.ImproperList), not unqualified as
// termTypes are: Map and Pair are names a user's own code takes.
func erlangTypes() map[string]reflect.Value {
	return map[string]reflect.Value{
		"BitString":    typeOf[term.BitString](),
		"ImproperList": typeOf[term.ImproperList](),
		"Improper":     reflect.ValueOf(term.Improper),
		"Map":          typeOf[term.Map](),
		"Pair":         typeOf[term.Pair](),
		"Opaque":       typeOf[term.Opaque](),
	}
}

// Exports returns the symbols of the "gerl" and "gerl/supervisor" packages
// bound to e, for yaegi's Use. Module interpreters and shell sessions load
// them; their functions act as the calling process.
func (e *Env) Exports() map[string]map[string]reflect.Value {
	g := termTypes()
	maps.Copy(g, erlangTypes())
	for k, v := range map[string]reflect.Value{
		"Self":              reflect.ValueOf(e.Self),
		"Send":              reflect.ValueOf(e.Send),
		"Receive":           reflect.ValueOf(e.Receive),
		"ReceiveTimeout":    reflect.ValueOf(e.ReceiveTimeout),
		"ReceiveMatch":      reflect.ValueOf(e.ReceiveMatch),
		"ReceivePattern":    reflect.ValueOf(e.ReceivePattern),
		"Match":             reflect.ValueOf(term.Match),
		"Spawn":             reflect.ValueOf(e.Spawn),
		"GoStatement":       reflect.ValueOf(e.GoStatement),
		"GoStatementSpread": reflect.ValueOf(e.GoStatementSpread),
		"SpawnLink":         reflect.ValueOf(e.SpawnLink),
		"SpawnMonitor":      reflect.ValueOf(e.SpawnMonitor),
		"Link":              reflect.ValueOf(e.Link),
		"Unlink":            reflect.ValueOf(e.Unlink),
		"Monitor":           reflect.ValueOf(e.Monitor),
		"Demonitor":         reflect.ValueOf(e.Demonitor),
		"Exit":              reflect.ValueOf(e.Exit),
		"ExitSelf":          reflect.ValueOf(e.ExitSelf),
		"TrapExit":          reflect.ValueOf(e.TrapExit),
		"Register":          reflect.ValueOf(e.Register),
		"Unregister":        reflect.ValueOf(e.Unregister),
		"Whereis":           reflect.ValueOf(e.Whereis),
		"Registered":        reflect.ValueOf(e.Registered),
		"Call":              reflect.ValueOf(e.Call),
		"Reply":             reflect.ValueOf(e.Reply),
		"Sleep":             reflect.ValueOf(e.Sleep),
		"Hibernate":         reflect.ValueOf(e.Hibernate),
		"Node":              reflect.ValueOf(e.NodeName),
		"Nodes":             reflect.ValueOf(e.Nodes),
		"Ping":              reflect.ValueOf(e.Ping),
		"MonitorNode":       reflect.ValueOf(e.MonitorNode),
		"Disconnect":        reflect.ValueOf(e.Disconnect),
		"RPC":               reflect.ValueOf(e.RPC),
		"MultiCall":         reflect.ValueOf(e.MultiCall),
		"Cast":              reflect.ValueOf(e.Cast),
		"Processes":         reflect.ValueOf(e.node.Processes),
		"Format":            reflect.ValueOf(term.Format),
		"ParsePid":          reflect.ValueOf(term.ParsePid),
		"Normal":            reflect.ValueOf(term.Normal),
		"Kill":              reflect.ValueOf(term.Kill),
		"Killed":            reflect.ValueOf(term.Killed),
		"Shutdown":          reflect.ValueOf(term.Shutdown),
		"NoProc":            reflect.ValueOf(term.NoProc),
		"NoConnection":      reflect.ValueOf(term.NoConnection),
		"OK":                reflect.ValueOf(term.OK),
	} {
		g[k] = v
	}
	out := map[string]map[string]reflect.Value{
		GerlPath + "/gerl":             g,
		SupervisorPath + "/supervisor": e.supervisorExports(),
	}
	for k, v := range e.serviceExports() {
		out[k] = v
	}
	guard := map[string]reflect.Value{}
	for name, fn := range e.guardExports() {
		guard[name] = reflect.ValueOf(fn)
	}
	out[GuardPath+"/guard"] = guard
	return out
}

// supervisorExports exposes package supervisor, starting supervisors on
// e's node: supervisor.Start(spec), and StartLink(spec) linked to the
// calling process.
func (e *Env) supervisorExports() map[string]reflect.Value {
	return map[string]reflect.Value{
		"Spec":             typeOf[supervisor.Spec](),
		"Child":            typeOf[supervisor.Child](),
		"ChildInfo":        typeOf[supervisor.ChildInfo](),
		"Counts":           typeOf[supervisor.Counts](),
		"Sup":              typeOf[supervisor.Sup](),
		"Strategy":         typeOf[supervisor.Strategy](),
		"Restart":          typeOf[supervisor.Restart](),
		"OneForOne":        reflect.ValueOf(supervisor.OneForOne),
		"OneForAll":        reflect.ValueOf(supervisor.OneForAll),
		"RestForOne":       reflect.ValueOf(supervisor.RestForOne),
		"Permanent":        reflect.ValueOf(supervisor.Permanent),
		"Transient":        reflect.ValueOf(supervisor.Transient),
		"Temporary":        reflect.ValueOf(supervisor.Temporary),
		"BrutalKill":       reflect.ValueOf(supervisor.BrutalKill),
		"Infinity":         reflect.ValueOf(supervisor.Infinity),
		"NoRestarts":       reflect.ValueOf(supervisor.NoRestarts),
		"DefaultIntensity": reflect.ValueOf(supervisor.DefaultIntensity),
		"DefaultPeriod":    reflect.ValueOf(supervisor.DefaultPeriod),
		"ErrInvalidSpec":   reflect.ValueOf(&supervisor.ErrInvalidSpec).Elem(),
		"Start": reflect.ValueOf(func(spec supervisor.Spec) (*supervisor.Sup, error) {
			return supervisor.Start(e.node, spec)
		}),
		"StartLink": reflect.ValueOf(func(spec supervisor.Spec) (*supervisor.Sup, error) {
			return supervisor.StartLink(e.self("supervisor.StartLink"), spec)
		}),
		"At": reflect.ValueOf(func(target any) *supervisor.Sup {
			return supervisor.At(e.node, target)
		}),
	}
}
