package hotload

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node/term"
)

// The shell's code built-ins, as erl names them. They print nothing: each
// returns its answer, which the shell prints. Answers that need more than
// erl's value (the problems of a module that did not load, one line per
// node for nl, the table of m()) are an Answer, whose text is those lines
// followed by the value.

// Answer is what a code built-in returns: Value is erl's answer
// ({ok,counter}, {module,counter}, error, ok), Lines what the shell prints
// before it.
type Answer struct {
	Lines []string
	Value any
}

// String renders the answer as the shell prints it.
func (a Answer) String() string {
	var b strings.Builder
	for _, l := range a.Lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString(term.Format(a.Value))
	return b.String()
}

func (s *Server) builtins() map[string]eval.Builtin {
	doc := func(sig, summary, detail string) eval.Doc {
		return eval.Doc{Sig: sig, Summary: summary, Detail: detail, Group: "code"}
	}
	return map[string]eval.Builtin{
		"c": {Fn: s.c, Doc: doc(`c("counter") / c("dir/counter.go")`, "load a module: check it, compile it and make it current",
			`The argument is a module name, looked up on the code path (-pa dirs, then the current
directory: counter.go or counter/), or the path of a .go file or a module directory. A module
that does not check is reported (file:line:col) and the running version keeps running.
Answers {ok,counter}; then counter.F(...) works at the prompt and spawn("counter.F", args...)
starts a process. Loading a third version kills the processes still in the oldest one.`)},
		"l": {Fn: s.l, Doc: doc(`l("counter")`, "reload a module from its source (a new version)",
			`Qualified calls (counter.F from anywhere, spawn and rpc by name) go to the new version;
processes running the old one keep running it until they make a qualified call.`)},
		"nl": {Fn: s.nl, Doc: doc(`nl("counter"[, nodes...])`, "load a module here and on every connected node (or the given ones)",
			"Answers one line per node: its version, or why it did not load. Nodes with this source\nalready keep their version; run nl again for a node that joined later.")},
		"lm": {Fn: s.lm, Doc: doc("lm()", "reload every module whose source changed on disk", "")},
		"m":  {Fn: s.m, Doc: doc(`m() / m("counter")`, "list the loaded modules: versions, sources, processes in each version", "")},
		"purge": {Fn: s.purge, Doc: doc(`purge("counter") bool`, "remove a module's old version, killing the processes still running it",
			"Answers true if processes were killed.")},
		"soft_purge": {Fn: s.softPurge, Doc: doc(`soft_purge("counter") bool`, "remove a module's old version unless processes still run it",
			"Answers false (and removes nothing) while processes run the old version.")},
		"watch": {Fn: s.watch, Doc: doc("watch(on bool) bool", "reload modules automatically when their files are saved",
			"Answers the previous setting. Reloads and failed reloads are logged.")},
	}
}

// failed is the answer to a load that failed: its problems, then error.
func failed(err error) Answer {
	var le *LoadError
	if errors.As(err, &le) {
		return Answer{Lines: le.Lines(), Value: term.Atom("error")}
	}
	return Answer{Lines: []string{err.Error()}, Value: term.Atom("error")}
}

func loadedAnswer(l Loaded, tag term.Atom) Answer {
	a := Answer{Value: term.Tuple{tag, term.Atom(l.Module)}}
	if len(l.Killed) > 0 {
		a.Lines = append(a.Lines, fmt.Sprintf("purged the oldest version of %s: killed %s", l.Module, term.Format(l.Killed)))
	}
	return a
}

func (s *Server) c(what string) Answer {
	l, err := s.Load(what)
	if err != nil {
		return failed(err)
	}
	return loadedAnswer(l, term.OK)
}

func (s *Server) l(name string) Answer {
	l, err := s.Reload(name)
	if err != nil {
		return failed(err)
	}
	return loadedAnswer(l, "module")
}

func (s *Server) nl(name string, nodes ...any) Answer {
	var ns []term.Atom
	for _, n := range nodes {
		switch x := n.(type) {
		case term.Atom:
			ns = append(ns, x)
		case string:
			ns = append(ns, term.Atom(x))
		default:
			panic(fmt.Errorf("nl: %s is not a node name", term.Format(n)))
		}
	}
	ctx := s.env.CallerContext() // Ctrl-C gives up
	res, err := s.NetLoad(ctx, name, ns...)
	if ctx.Err() != nil {
		panic(eval.ErrInterrupted)
	}
	if err != nil {
		return failed(err)
	}
	a := Answer{Value: term.OK}
	for _, r := range res {
		switch {
		case r.Err != nil:
			a.Lines = append(a.Lines, fmt.Sprintf("%s: not loaded: %v", r.Node, r.Err))
			a.Value = term.Atom("error")
		case r.Changed:
			a.Lines = append(a.Lines, fmt.Sprintf("%s: loaded %s version %d", r.Node, name, r.Version))
		default:
			a.Lines = append(a.Lines, fmt.Sprintf("%s: unchanged, %s version %d", r.Node, name, r.Version))
		}
	}
	return a
}

func (s *Server) lm() Answer {
	loaded, err := s.LoadModified()
	list := make([]any, 0, len(loaded))
	for _, l := range loaded {
		list = append(list, term.Tuple{term.Atom("module"), term.Atom(l.Module)})
	}
	a := Answer{Value: list}
	if err != nil {
		for _, e := range unjoin(err) {
			a.Lines = append(a.Lines, failed(e).Lines...)
		}
	}
	return a
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && !isLoadError(err) {
		return j.Unwrap()
	}
	return []error{err}
}

func isLoadError(err error) bool {
	_, ok := err.(*LoadError)
	return ok
}

func (s *Server) m(name ...string) Answer {
	if len(name) > 1 {
		panic(errors.New(`m: want m() or m("module")`))
	}
	if len(name) == 1 {
		info, ok := s.Module(name[0])
		if !ok {
			return Answer{Lines: []string{name[0] + " is not loaded"}, Value: term.Atom("error")}
		}
		lines := []string{
			fmt.Sprintf("Module:  %s", info.Name),
			fmt.Sprintf("Version: %d (old: %s)", info.Version, orNone(info.OldVersion)),
			fmt.Sprintf("Source:  %s", info.Source),
			fmt.Sprintf("Files:   %s", strings.Join(info.Files, " ")),
			fmt.Sprintf("Loaded:  %s (source %s)", info.Loaded.Format("2006-01-02 15:04:05"), info.Hash),
			fmt.Sprintf("Exports: %s", strings.Join(info.Funcs, " ")),
		}
		for _, v := range []int{info.Version, info.OldVersion} {
			if ps := info.Running[v]; len(ps) > 0 {
				lines = append(lines, fmt.Sprintf("Running version %d: %s", v, term.Format(ps)))
			}
		}
		return Answer{Lines: lines, Value: term.OK}
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "Module\tVersion\tOld\tProcesses\tSource")
	for _, info := range s.Modules() {
		n := 0
		for _, ps := range info.Running {
			n += len(ps)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\n", info.Name, info.Version, orNone(info.OldVersion), n, info.Source)
	}
	tw.Flush()
	return Answer{Lines: strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n"), Value: term.OK}
}

func orNone(v int) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprint(v)
}

// purge answers true when processes were killed, as code:purge.
func (s *Server) purge(name string) bool {
	killed, err := s.Purge(name)
	if err != nil {
		panic(err)
	}
	return len(killed) > 0
}

// softPurge answers false while processes run the old version, as
// code:soft_purge.
func (s *Server) softPurge(name string) bool {
	_, err := s.SoftPurge(name)
	if errors.Is(err, ErrInUse) {
		return false
	}
	if err != nil {
		panic(err)
	}
	return true
}

func (s *Server) watch(on bool) bool {
	was := s.Watching()
	if err := s.Watch(on); err != nil {
		panic(err)
	}
	return was
}
