package eval

import (
	"fmt"

	"github.com/gerl-dev/gerl/node/term"
)

// HistoryLen is how many inputs back v(n) reaches, as erl's shell keeps
// the results of the last 20 queries.
const HistoryLen = 20

// history keeps the values of the last HistoryLen inputs, for v(n).
// Guarded by Session.mu.
type history struct {
	ring [HistoryLen]struct {
		n    int
		vals []any
	}
}

// add records the value(s) of input n.
func (h *history) add(n int, vals []any) {
	e := &h.ring[n%HistoryLen]
	e.n, e.vals = n, vals
}

// get returns the value(s) of input n, the last input being last.
func (h *history) get(n, last int) ([]any, error) {
	switch {
	case n < 1 || n > last:
		return nil, fmt.Errorf("v(%d): there is no input %d (the last one is %d)", n, n, last)
	case n <= last-HistoryLen:
		return nil, fmt.Errorf("v(%d): input %d is gone: the shell keeps the values of the last %d inputs (%d to %d)",
			n, n, HistoryLen, last-HistoryLen+1, last)
	}
	e := h.ring[n%HistoryLen]
	if e.n != n {
		return nil, fmt.Errorf("v(%d): input %d has no value", n, n)
	}
	return e.vals, nil
}

// capture stores the value(s) of the input's last expression; the
// rewritten input calls it (captureFunc). A value of a type the
// interpreter declared with a String, Error or Format method comes in
// yaegi's wrapper (the session lists capture with fmt's print functions,
// newInterpreter): the value shown is what that method gives, as fmt
// prints it, and the value kept (Outcome.Values, v(n)) the one the wrapper
// holds.
func (s *Session) capture(vals ...any) {
	var shown []string
	for i, v := range vals {
		if raw, ok := interpreted(v); ok {
			if shown == nil {
				shown = make([]string, len(vals))
			}
			shown[i] = FormatValue(v)
			vals[i] = raw
		}
	}
	s.mu.Lock()
	s.captured, s.shown, s.didSet = vals, shown, true
	s.mu.Unlock()
}

// v returns the value of input n; v(-1) is the previous input, v(-2) the
// one before.
func (s *Session) v(n int) any {
	s.mu.Lock()
	// s.n counts the input calling v too: v(-1) is the one before it.
	last := s.n - 1
	if n < 0 {
		n = s.n + n
	}
	vals, err := s.history.get(n, last)
	s.mu.Unlock()
	raise(err)
	if len(vals) == 1 {
		return vals[0]
	}
	return term.Tuple(vals)
}
