package hotload

import (
	"reflect"

	yaegi "github.com/traefik/yaegi/interp"

	"github.com/gerl-dev/gerl/interp"
	"github.com/gerl-dev/gerl/node/term"
)

// A process spawned by a module's code with a function value (a closure,
// or an unqualified F) runs that code: the version that spawned it, as an
// Erlang process spawned with a local fun runs the fun's version. So in a
// module's interpreter gerl.Spawn, SpawnLink and SpawnMonitor are bound to
// the version (overrides), and record the new process as running it. A
// name ("counter.Loop") resolves as everywhere, to the current version.

// overrides returns what v's interpreter uses instead of the Env's
// exports: spawning into v, and a time.Sleep that a kill interrupts.
func (s *Server) overrides(v *version) yaegi.Exports {
	e := s.env
	return yaegi.Exports{
		"time/time": {"Sleep": reflect.ValueOf(e.Sleep)},
		interp.GerlPath + "/gerl": {
			"Spawn": reflect.ValueOf(func(fn any, args ...any) term.Pid {
				return e.Spawn(s.into(v, fn), args...)
			}),
			"SpawnLink": reflect.ValueOf(func(fn any, args ...any) term.Pid {
				return e.SpawnLink(s.into(v, fn), args...)
			}),
			"SpawnMonitor": reflect.ValueOf(func(fn any, args ...any) (term.Pid, term.Ref) {
				return e.SpawnMonitor(s.into(v, fn), args...)
			}),
		},
	}
}

// into wraps a function value so that the process running it runs v.
func (s *Server) into(v *version, fn any) any {
	fv := reflect.ValueOf(fn)
	if fv.Kind() != reflect.Func || fv.IsNil() {
		return fn // a name, or something spawn will refuse
	}
	return reflect.MakeFunc(fv.Type(), func(in []reflect.Value) []reflect.Value {
		if v.purged.Load() {
			// Spawned while v was being purged: the function is v's code,
			// so the process ends as v's other processes did.
			if p, ok := s.env.CurrentProc(); ok {
				p.ExitSelf(term.Killed)
			}
		}
		return s.run(v, fv, in)
	}).Interface()
}
