package bench

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// TestReport reads gerl's and Erlang's lines of two rounds of a scaling
// workload and checks the table's medians and ratios and that the plot is
// an SVG document with both sides.
func TestReport(t *testing.T) {
	var in bytes.Buffer
	for round, f := range []float64{1, 3} {
		for _, backlog := range []int{10, 10_000} {
			g := Result{Name: "call_backlog", Params: map[string]any{"backlog": backlog, "calls": 5, "reps": 1},
				Figures: map[string]float64{"us_per_call": 2 * f}}
			b, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			in.Write(b)
			in.WriteString("\n")
			e := g
			e.Impl, e.Figures = "erlang", map[string]float64{"us_per_call": 4 * f, "loadavg1": 1}
			b, _ = json.Marshal(e)
			in.Write(b)
			in.WriteString("\n")
		}
		if round == 0 {
			in.WriteString("not a result\n{\"name\":\"env\",\"impl\":\"erlang\"}\n")
		}
	}
	rs, err := ReadResults(&in)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 8 {
		t.Fatalf("%d results, want 8", len(rs))
	}
	var out strings.Builder
	WriteReport(&out, rs)
	for _, want := range []string{
		"| call_backlog | backlog=10 | us_per_call | 2 | 8 (4–12) | 4 (2–6) | 0.50 (0.50–0.50) |",
		"| call_backlog | backlog=10000 | us_per_call | 2 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "loadavg1") {
		t.Errorf("the machine's load reported as a figure:\n%s", out.String())
	}
	plots := Plots(rs)
	svg, ok := plots["call_backlog-us_per_call.svg"]
	if !ok || len(plots) != 1 {
		t.Fatalf("plots %v", plots)
	}
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
	}
	for _, want := range []string{"<svg", "gerl", "Erlang/OTP", "backlog (log scale)"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("no %q in the plot", want)
		}
	}
}
