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
	checkXML(t, svg)
	for _, want := range []string{"<svg", "gerl", "Erlang/OTP", "backlog (log scale)"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("no %q in the plot", want)
		}
	}
}

// TestFloorChart: remote_pingpong on both sides and tcp_floor with the
// same parameters give a bar chart of each side's round trip beside Go's
// two floors, one group per placement and percentile; without tcp_floor
// there is no chart.
func TestFloorChart(t *testing.T) {
	var rs []Result
	for round := range 2 {
		f := float64(1 + round)
		for _, pin := range []string{"none", "same_cpu"} {
			params := map[string]any{"n": 20000.0, "pin": pin, "reps": 5.0}
			rs = append(rs,
				Result{Name: "remote_pingpong", Impl: "gerl", Params: params,
					Figures: map[string]float64{"rtt_p50_us": 50 * f, "rtt_p99_us": 100 * f}},
				Result{Name: "remote_pingpong", Impl: "erlang", Params: params,
					Figures: map[string]float64{"rtt_p50_us": 40 * f, "rtt_p99_us": 70 * f}},
				Result{Name: "tcp_floor", Impl: "gerl", Params: params,
					Figures: map[string]float64{"rtt_p50_us": 35 * f, "rtt_p99_us": 80 * f,
						"handoff_rtt_p50_us": 38 * f, "handoff_rtt_p99_us": 90 * f}})
		}
	}
	svg, ok := Plots(rs)["remote_pingpong-floors.svg"]
	if !ok {
		t.Fatal("no remote_pingpong-floors.svg")
	}
	checkXML(t, svg)
	if n := bytes.Count(svg, []byte(`class="bar"`)); n != 16 {
		t.Errorf("%d bars, want 16 (4 groups of 4)", n)
	}
	for _, want := range []string{"unpinned, p50", "unpinned, p99", "one CPU, p50", "one CPU, p99",
		"<title>gerl: 75</title>", "<title>Erlang/OTP: 60</title>", "<title>Go, raw TCP: 120</title>", "<title>Go, with a hand-off: 135</title>"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("no %q in the chart", want)
		}
	}
	var noFloor []Result
	for _, r := range rs {
		if r.Name != "tcp_floor" {
			noFloor = append(noFloor, r)
		}
	}
	if _, ok := Plots(noFloor)["remote_pingpong-floors.svg"]; ok {
		t.Error("a floor chart without tcp_floor")
	}
}

// checkXML fails the test unless doc is well-formed XML.
func checkXML(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		if _, err := d.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not XML: %v\n%s", err, doc)
		}
	}
}
