package eval

import (
	"fmt"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The shell process is the process a session's inputs run as: an attached
// process (node.Attach), driven by the goroutine that evaluates the input
// rather than by a goroutine of its own. Like erl's shell evaluator, it is
// replaced when it dies, and the variables stay.

// renewProc attaches a new shell process if the current one has exited,
// and says so.
func (s *Session) renewProc() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc.Alive() || s.closed {
		return nil
	}
	old := s.proc
	p, err := s.env.node.Attach(s.name)
	if err != nil {
		return []string{fmt.Sprintf("the shell process %s exited and no new one can start: %v", old.Self(), err)}
	}
	s.proc = p
	s.watch(p)
	if s.reported == old {
		return nil // said when it happened
	}
	return []string{fmt.Sprintf("the shell process %s exited (%s); the new shell process is %s",
		old.Self(), term.Format(old.ExitReason()), p.Self())}
}

// watch reports at once, as erl does, a shell process that exits between
// inputs (killed, or ended by a linked process): the next input would
// otherwise be the first to notice, after it ran on a new process.
func (s *Session) watch(p *node.Proc) {
	p.OnExit(func(reason any) {
		s.mu.Lock()
		quiet := s.evaluating || s.closed || s.proc != p
		if !quiet {
			s.reported = p
		}
		s.mu.Unlock()
		if !quiet {
			fmt.Fprintf(s.out, "** exception exit: %s (the shell process %s exited; the next input runs in a new one)\n",
				term.Format(reason), p.Self())
		}
	})
}
