package eval

import (
	"strings"
	"testing"
)

// TestInterpretedErrors: an error type declared at the prompt prints
// with its Error method, wraps with %w, and errors.As and errors.Is find
// it (wrappers.go). Before, fmt printed it as a struct ("{}"), %w could
// not wrap it, and errors.As panicked.
func TestInterpretedErrors(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		{`type NotFound struct{ Key string }`, ""},
		{`func (e *NotFound) Error() string { return "no " + e.Key }`, ""},
		{`type Busy struct{}`, ""},
		{`func (Busy) Error() string { return "busy" }`, ""},
		{`fmt.Sprint(&NotFound{"k"}, " ", Busy{})`, `"no k busy"`},
		{`fmt.Sprintf("%v|%s", Busy{}, &NotFound{"j"})`, `"busy|no j"`},
		{`err := fmt.Errorf("lookup: %w", &NotFound{"x"}); err.Error()`, `"lookup: no x"`},
		{`var nf *NotFound; T(errors.As(err, &nf), nf.Key)`, `{true,"x"}`},
		{`var b Busy; errors.As(err, &b)`, "false"},
		{`errors.As(fmt.Errorf("a: %w", fmt.Errorf("b: %w", Busy{})), &b)`, "true"},
		{`errors.Is(fmt.Errorf("c: %w", Busy{}), Busy{})`, "true"},
		{`var e3 error = &NotFound{"y"}; errors.Is(fmt.Errorf("d: %w", e3), e3)`, "true"},
		{`errors.Is(fmt.Errorf("d: %w", e3), &NotFound{"y"})`, "false"},
		{`errors.Join(Busy{}, e3).Error()`, `"busy\nno y"`},
		{`errors.As(errors.Join(Busy{}, e3), &nf)`, "true"},
		// compiled errors as before
		{`_, oerr := os.Open("/nonexistent/file"); var pe *fs.PathError; T(errors.As(oerr, &pe), errors.Is(oerr, os.ErrNotExist))`, "{true,true}"},
		{`errors.As(err, nil)`, "target cannot be nil"},
	} {
		got := ts.eval(c.in)
		if internals.MatchString(got) || !strings.Contains(got, c.want) || (c.want == "" && got != "") {
			t.Errorf("%s\n  => %q, want it to contain %q", c.in, got, c.want)
		}
	}
}

// TestInterpretedInterfaceValues: values of an interface type declared at
// the prompt print as Go prints them (format_boxed.go), not as yaegi's
// structs for them ({node:0xc000... value:{typ_:...}}).
func TestInterpretedInterfaceValues(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		{`type Shape interface{ Area() float64 }`, ""},
		{`type Sq struct{ S float64 }`, ""},
		{`func (s Sq) Area() float64 { return s.S * s.S }`, ""},
		{`shapes := []Shape{Sq{2}, Sq{3}}`, "[{S:2},{S:3}]"},
		{`map[string]Shape{"a": Sq{1}, "b": nil}`, `map["a":{S:1} "b":nil]`},
		{`type Box struct{ In Shape }; &Box{Sq{5}}`, "&{In:{S:5}}"},
		{`[2]Shape{Sq{1}, nil}`, "[{S:1},nil]"},
		{`total := 0.0; for _, s := range shapes { total += s.Area() }; total`, "13.0"},
	} {
		got := ts.eval(c.in)
		if internals.MatchString(got) || strings.Contains(got, "node:") || !strings.Contains(got, c.want) || (c.want == "" && got != "") {
			t.Errorf("%s\n  => %q, want it to contain %q", c.in, got, c.want)
		}
	}
}

// TestInterpretedMethodsShown: the value of an input whose type, typed at
// the prompt, has a String, Error or Format method is shown as fmt shows
// it (Temp(21.5) printed 21.5); the value kept is the value itself. A
// struct's unexported fields show by their names (yaegi's were Xn).
func TestInterpretedMethodsShown(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`type Temp float64`, ""},
		{`func (t Temp) String() string { return fmt.Sprintf("%.1f°C", float64(t)) }`, ""},
		{`Temp(21.5)`, "21.5°C"},
		{`x := Temp(3)`, "3.0°C"},
		{`x + 1`, "4.0°C"},
		{`v(-1).(Temp) * 2`, "8.0°C"}, // the value kept is a Temp
		{`type Oops struct{ Why string }`, ""},
		{`func (o Oops) Error() string { return "oops: " + o.Why }`, ""},
		{`Oops{"x"}`, `error("oops: x")`},
		{`type Plain struct{ A int }; Plain{1}`, "{A:1}"},
		// unexported fields by their names, not yaegi's (Xn)
		{`type priv struct{ n int; Items []string; in Plain }; &priv{n: 1}`, "&{n:1 Items:[] in:{A:0}}"},
		{`[]priv{{n: 2}}`, "[{n:2 Items:[] in:{A:0}}]"},
	})
}

// TestErrorsOfInterpretedValues: a composite literal of a type typed at
// the prompt, put into an error variable (declared, assigned, a named
// result) or converted with error(...), is that error (yaegi left one
// whose Error method failed, "Method index out of range", or a nil error
// for a named result, or refused the conversion).
func TestErrorsOfInterpretedValues(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`type Bad struct{ W string; N int }`, ""},
		{`func (b Bad) Error() string { return fmt.Sprint("bad ", b.W, b.N) }`, ""},
		{`var e1 error = Bad{"a", 1}; e1.Error()`, `"bad a1"`},
		{`e1 = Bad{W: "b"}; e1.Error()`, `"bad b0"`},
		{`error(Bad{"c", 2}).Error()`, `"bad c2"`},
		{`func named() (err error) { err = Bad{"d", 3}; return }; named() != nil`, "true"},
		{`func inFunc() string { var e error; e = (Bad{"e", 4}); return e.Error() }; inFunc()`, `"bad e4"`},
		{`type G[T any] struct{ V T }`, ""},
		{`func (g G[T]) Error() string { return fmt.Sprint("g ", g.V) }`, ""},
		{`var e2 error = G[int]{5}; e2.Error()`, `"g 5"`},
		{`var e3 error = nil; e3 == nil`, "true"},
		{`e3 = error(nil); e3 == nil`, "true"},
		{`var e4 error = Tuple{1}`, "ERR"}, // not an error: still refused
	})
}
