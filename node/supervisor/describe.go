package supervisor

import (
	"fmt"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// describe is the request an observer makes to draw a supervision tree
// (an addition to the requests of protocol.go):
//
//	describe -> {Strategy, Intensity, PeriodMs, [{Id, Child, Restart, Name, Type, Restarts}]}
//
// Strategy is one_for_one, one_for_all or rest_for_one; the children are
// which_children's, each with the number of times it was started again
// since the supervisor started it first (a restart, by the supervisor or
// by RestartChild).
const reqDescribe = term.Atom("describe")

// Description is a supervisor's answer to describe.
type Description struct {
	Strategy  Strategy
	Intensity int
	Period    time.Duration
	Children  []ChildStatus // start order
}

// ChildStatus is a child as which_children lists it, with its restarts.
type ChildStatus struct {
	ChildInfo
	Restarts int
}

// Describe asks the supervisor sup (a pid or a name, as Send accepts) for
// its strategy and its children, as p, waiting at most timeout. Unlike the
// methods of Sup it needs a calling process: an observer's, which asks
// many supervisors in a row. Safe for concurrent use by different
// processes.
func Describe(p *node.Proc, sup any, timeout time.Duration) (Description, error) {
	r, err := p.Call(sup, reqDescribe, timeout)
	if err != nil {
		return Description{}, fmt.Errorf("supervisor %s: describe: %w", term.Format(sup), err)
	}
	d, ok := decodeDescription(r)
	if !ok {
		return Description{}, fmt.Errorf("supervisor %s: describe: unexpected reply %s", term.Format(sup), term.Format(r))
	}
	return d, nil
}

func decodeDescription(r any) (Description, bool) {
	t, ok := r.(term.Tuple)
	if !ok || len(t) != 4 {
		return Description{}, false
	}
	var d Description
	strategy, _ := term.AtomOf(t[0])
	switch strategy {
	case "one_for_one":
		d.Strategy = OneForOne
	case "one_for_all":
		d.Strategy = OneForAll
	case "rest_for_one":
		d.Strategy = RestForOne
	default:
		return Description{}, false
	}
	intensity, ok1 := intOf(t[1])
	period, ok2 := intOf(t[2])
	list, ok3 := t[3].([]any)
	if !ok1 || !ok2 || !ok3 {
		return Description{}, false
	}
	d.Intensity, d.Period = intensity, time.Duration(period)*time.Millisecond
	for _, e := range list {
		ct, ok := e.(term.Tuple)
		if !ok || len(ct) != 6 {
			return Description{}, false
		}
		info, ok := decodeChild(ct[:5])
		restarts, ok2 := intOf(ct[5])
		if !ok || !ok2 {
			return Description{}, false
		}
		d.Children = append(d.Children, ChildStatus{ChildInfo: info, Restarts: restarts})
	}
	return d, true
}

// describe answers the describe request.
func (s *supervisor) describe() any {
	children := s.whichChildren()
	for i, c := range s.children {
		restarts := c.starts - 1
		if restarts < 0 {
			restarts = 0
		}
		children[i] = append(children[i].(term.Tuple), restarts)
	}
	return term.T(term.Atom(s.cfg.strategy.String()), s.cfg.intensity, int(s.cfg.period/time.Millisecond), children)
}
