package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// The report of a set of runs (gerl bench report): the JSON lines of
// several rounds, gerl's and Erlang's (gerl bench's own and those of
// Erlang's harness in ../shared/bench/erlang), read together; for each
// workload, parameters and figure, the median of the rounds on each side
// with the lowest and highest, and the ratio gerl/Erlang; and the scaling
// curves (scaling.go) drawn as SVG, one file per curve.

// ignoredParam reports whether a parameter does not make two results
// different measurements: repetitions, versions, limits.
func ignoredParam(k string) bool {
	switch k {
	case "reps", "otp", "process_limit", "pin_arg", "calls", "quiet_ms", "observed",
		"node_schedulers", "a", "b", "erlang_log": // Erlang's side: its nodes' names, its log
		return true
	}
	return strings.HasPrefix(k, "warmup")
}

// ReadResults reads JSON lines of results (gerl's or Erlang's) from r.
// Lines that are not results (blank, Erlang's env line, text) are skipped.
func ReadResults(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		res, err := parseErlangResult(line)
		if err != nil || res.Name == "env" {
			continue
		}
		var head struct {
			Impl string `json:"impl"`
			Pin  string `json:"pin"`
		}
		_ = json.Unmarshal(line, &head)
		res.Impl = cmp.Or(head.Impl, "gerl")
		if head.Pin != "" {
			res.Params["pin"] = head.Pin
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// series is one figure of one workload at one set of parameters: every
// round's value, per implementation.
type series struct {
	name, params, figure string
	x                    float64 // the scaling parameter, for plots
	values               map[string][]float64
}

func paramsKey(p map[string]any) string {
	var parts []string
	for k, v := range p {
		if ignoredParam(k) {
			continue
		}
		if f, ok := v.(float64); ok && f == math.Trunc(f) {
			v = int64(f)
		}
		parts = append(parts, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// collect groups the figures of results into series, in the order they
// first appear.
func collect(results []Result) []*series {
	var order []*series
	index := map[string]*series{}
	for _, r := range results {
		if r.Error != "" {
			continue
		}
		pk := paramsKey(r.Params)
		figs := make([]string, 0, len(r.Figures))
		for f := range r.Figures {
			if f != "loadavg1" { // Erlang's harness: the machine's load
				figs = append(figs, f)
			}
		}
		sort.Strings(figs)
		for _, f := range figs {
			key := r.Name + "\x00" + pk + "\x00" + f
			s := index[key]
			if s == nil {
				s = &series{name: r.Name, params: pk, figure: f, values: map[string][]float64{}}
				if p := scalingParam(r.Name); p != "" {
					s.x, _ = r.Params[p].(float64)
				}
				index[key] = s
				order = append(order, s)
			}
			s.values[r.Impl] = append(s.values[r.Impl], r.Figures[f])
		}
	}
	return order
}

// scalingParam is the parameter a scaling workload grows ("" for others).
func scalingParam(name string) string {
	switch name {
	case "call_backlog":
		return "backlog"
	case "remote_fanout":
		return "senders"
	case "mesh_scale":
		return "k"
	}
	return ""
}

// plotted are the curves drawn: workload, figure, and how the figure reads.
func plotted() []struct{ name, figure, label string } {
	return []struct{ name, figure, label string }{
		{"call_backlog", "us_per_call", "µs per call"},
		{"remote_fanout", "msgs_per_s", "messages per second"},
		{"mesh_scale", "mesh_ms", "ms until every node sees all others"},
		{"mesh_scale", "nodedown_ms", "ms until every node has the nodedown"},
	}
}

func rangeOf(vs []float64) (med, lo, hi float64) {
	return median(vs), slices.Min(vs), slices.Max(vs)
}

// WriteReport writes the markdown table of the series in results: each
// side's median with its lowest and highest round, and the ratio of the
// medians gerl/Erlang with the lowest and highest ratio of one round to
// the same round of the other side.
func WriteReport(w io.Writer, results []Result) {
	fmt.Fprintln(w, "| workload | parameters | figure | rounds | Erlang median (min–max) | gerl median (min–max) | gerl/Erlang (per round) |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|")
	for _, s := range collect(results) {
		g, e := s.values["gerl"], s.values["erlang"]
		if len(g) == 0 {
			continue
		}
		gm, glo, ghi := rangeOf(g)
		row := fmt.Sprintf("| %s | %s | %s | %d | ", s.name, s.params, s.figure, len(g))
		if len(e) == 0 {
			fmt.Fprintf(w, "%s— | %s (%s–%s) | — |\n", row, num(gm), num(glo), num(ghi))
			continue
		}
		em, elo, ehi := rangeOf(e)
		var ratios []float64
		for i := range min(len(g), len(e)) {
			if e[i] != 0 {
				ratios = append(ratios, g[i]/e[i])
			}
		}
		ratio := "—"
		if em != 0 && len(ratios) > 0 {
			ratio = fmt.Sprintf("%.2f (%.2f–%.2f)", gm/em, slices.Min(ratios), slices.Max(ratios))
		}
		fmt.Fprintf(w, "%s%s (%s–%s) | %s (%s–%s) | %s |\n", row, num(em), num(elo), num(ehi), num(gm), num(glo), num(ghi), ratio)
	}
}

// num prints a figure with three significant digits.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return fmt.Sprintf("%.3g M", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.3g k", v/1e3)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// Plots draws the scaling curves found in results as SVG documents, keyed
// by file name (workload-figure.svg): the median of the rounds for each
// side against the scaling parameter (log scale), with a bar from the
// lowest to the highest round. Results that hold remote_pingpong and
// tcp_floor also give remote_pingpong-floors.svg (see floorChart).
func Plots(results []Result) map[string][]byte {
	all := collect(results)
	out := map[string][]byte{}
	for _, p := range plotted() {
		var pts []*series
		for _, s := range all {
			if s.name == p.name && s.figure == p.figure && s.x > 0 {
				pts = append(pts, s)
			}
		}
		if len(pts) < 2 {
			continue
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].x < pts[j].x })
		out[p.name+"-"+p.figure+".svg"] = svgPlot(p.name+": "+p.label, scalingParam(p.name), pts)
	}
	if svg := floorChart(all); svg != nil {
		out["remote_pingpong-floors.svg"] = svg
	}
	return out
}

// barGroup is one group of floorChart's bars: a placement and a figure.
type barGroup struct {
	label string
	bars  [4][]float64 // the rounds of each of floorBars(), nil where none
}

// floorBars are the bars of each group of floorChart, in order.
func floorBars() [4]struct{ label, color string } {
	return [4]struct{ label, color string }{
		{"Erlang/OTP", "#d62728"},
		{"Go, raw TCP", "#bbbbbb"},
		{"Go, with a hand-off", "#777777"},
		{"gerl", "#1f77b4"},
	}
}

// floorChart draws remote_pingpong's round trip, Erlang's and gerl's,
// beside Go's two floors measured by tcp_floor with the same parameters
// (its raw figures and its handoff_ ones): for each placement, p50 and
// p99, the median of the rounds as a bar and the lowest to the highest
// round as a line. Nil when no placement has both workloads.
func floorChart(all []*series) []byte {
	find := func(name, params, figure string) *series {
		for _, s := range all {
			if s.name == name && s.params == params && s.figure == figure {
				return s
			}
		}
		return nil
	}
	placement := map[string]string{"pin=none": "unpinned", "pin=same_cpu": "one CPU", "pin=split_cpus": "one CPU each"}
	var groups []barGroup
	for _, s := range all {
		if s.name != "remote_pingpong" || s.figure != "rtt_p50_us" {
			continue
		}
		where := s.params
		for _, f := range strings.Fields(s.params) {
			if p, ok := placement[f]; ok {
				where = p
			}
		}
		for _, fig := range []struct{ key, label string }{{"rtt_p50_us", "p50"}, {"rtt_p99_us", "p99"}} {
			pp, raw, hand := find("remote_pingpong", s.params, fig.key), find("tcp_floor", s.params, fig.key), find("tcp_floor", s.params, "handoff_"+fig.key)
			if pp == nil || raw == nil || hand == nil {
				continue
			}
			groups = append(groups, barGroup{label: where + ", " + fig.label,
				bars: [4][]float64{pp.values["erlang"], raw.values["gerl"], hand.values["gerl"], pp.values["gerl"]}})
		}
	}
	if len(groups) == 0 {
		return nil
	}
	const w, h, left, right, top, bottom = 680.0, 340.0, 60.0, 170.0, 40.0, 50.0
	ymax := 0.0
	for _, g := range groups {
		for _, vs := range g.bars {
			if len(vs) > 0 {
				ymax = max(ymax, slices.Max(vs))
			}
		}
	}
	ymax = niceCeil(ymax * 1.05)
	py := func(y float64) float64 { return h - bottom - y/ymax*(h-top-bottom) }
	bars := floorBars()
	gw := (w - left - right) / float64(len(groups))
	bw := gw * 0.8 / float64(len(bars))
	var b strings.Builder
	svgFrame(&b, "remote_pingpong: round trip, µs, beside Go's floors", [6]float64{w, h, left, right, top, bottom}, ymax, py)
	for gi, g := range groups {
		x0 := left + float64(gi)*gw + gw*0.1
		for bi, vs := range g.bars {
			if len(vs) == 0 {
				continue
			}
			m, lo, hi := rangeOf(vs)
			x := x0 + float64(bi)*bw
			fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>`+"\n",
				x, py(m), bw-2, h-bottom-py(m), bars[bi].color, html.EscapeString(bars[bi].label), html.EscapeString(num(m)))
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black"/>`+"\n", x+bw/2-1, x+bw/2-1, py(lo), py(hi))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", left+(float64(gi)+0.5)*gw, h-bottom+18, html.EscapeString(g.label))
	}
	for i, bar := range bars {
		y := top + 10 + float64(i)*18
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="14" height="10" fill="%s"/><text x="%.1f" y="%.1f">%s</text>`+"\n",
			w-right+10, y-5, bar.color, w-right+30, y+4, html.EscapeString(bar.label))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11">bar: median of the rounds;</text>`+"\n", w-right+10, top+10+4*18+8)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11">line: lowest to highest</text>`+"\n", w-right+10, top+10+5*18+4)
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func svgPlot(title, xlabel string, pts []*series) []byte {
	const w, h, left, right, top, bottom = 560.0, 340.0, 70.0, 110.0, 40.0, 50.0
	xmin, xmax := math.Log10(pts[0].x), math.Log10(pts[len(pts)-1].x)
	ymax := 0.0
	for _, s := range pts {
		for _, vs := range s.values {
			ymax = max(ymax, slices.Max(vs))
		}
	}
	ymax = niceCeil(ymax * 1.05)
	px := func(x float64) float64 {
		if xmax == xmin {
			return left
		}
		return left + (math.Log10(x)-xmin)/(xmax-xmin)*(w-left-right)
	}
	py := func(y float64) float64 { return h - bottom - y/ymax*(h-top-bottom) }
	var b strings.Builder
	svgFrame(&b, title, [6]float64{w, h, left, right, top, bottom}, ymax, py)
	for _, s := range pts {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", px(s.x), h-bottom+18, html.EscapeString(num(s.x)))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s (log scale)</text>`+"\n", (left+w-right)/2, h-10, html.EscapeString(xlabel))
	// One line per side, with the rounds' range.
	colors := map[string]string{"gerl": "#1f77b4", "erlang": "#d62728"}
	for i, impl := range []string{"gerl", "erlang"} {
		var path []string
		for _, s := range pts {
			vs := s.values[impl]
			if len(vs) == 0 {
				continue
			}
			m, lo, hi := rangeOf(vs)
			path = append(path, fmt.Sprintf("%.1f %.1f", px(s.x), py(m)))
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/><circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n",
				px(s.x), px(s.x), py(lo), py(hi), colors[impl], px(s.x), py(m), colors[impl])
		}
		if len(path) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<path d="M%s" stroke="%s" fill="none" stroke-width="2"/>`+"\n", strings.Join(path, " L"), colors[impl])
		label := map[string]string{"gerl": "gerl", "erlang": "Erlang/OTP"}[impl]
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/><text x="%.1f" y="%.1f">%s</text>`+"\n",
			w-right+10, w-right+30, top+10+float64(i)*18, top+10+float64(i)*18, colors[impl], w-right+34, top+14+float64(i)*18, label)
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// svgFrame opens an SVG document of a chart: a white page, the title, the
// axes, and the y axis from 0 to ymax in quarters with grid lines. box is
// the page's width and height and the chart's left, right, top and bottom
// margins; py maps a figure to its y coordinate.
func svgFrame(b *strings.Builder, title string, box [6]float64, ymax float64, py func(float64) float64) {
	w, h, left, right, top, bottom := box[0], box[1], box[2], box[3], box[4], box[5]
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(b, `<text x="%.0f" y="22" font-size="14">%s</text>`+"\n", left, html.EscapeString(title))
	fmt.Fprintf(b, `<path d="M%.1f %.1f V%.1f H%.1f" stroke="black" fill="none"/>`+"\n", left, top, h-bottom, w-right)
	for i := 0; i <= 4; i++ {
		y := ymax * float64(i) / 4
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, w-right, py(y), py(y), left-6, py(y)+4, html.EscapeString(num(y)))
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// ReportMain is gerl bench report: it reads the JSON lines of the files
// named in args, prints the table of WriteReport, and with -svg DIR writes
// the scaling curves' plots there.
func ReportMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gerl bench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("svg", "", "write the scaling curves as SVG files into `DIR`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gerl bench report [-svg DIR] FILE...   medians, spreads and ratios of the JSON lines in FILEs (gerl's and Erlang's)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	var results []Result
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "gerl bench report: %v\n", err)
			return 1
		}
		rs, err := ReadResults(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "gerl bench report: %s: %v\n", name, err)
			return 1
		}
		results = append(results, rs...)
	}
	WriteReport(stdout, results)
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "gerl bench report: %v\n", err)
			return 1
		}
		for name, svg := range Plots(results) {
			path := filepath.Join(*dir, name)
			if err := os.WriteFile(path, svg, 0o644); err != nil {
				fmt.Fprintf(stderr, "gerl bench report: %v\n", err)
				return 1
			}
			fmt.Fprintf(stderr, "wrote %s\n", path)
		}
	}
	return 0
}
