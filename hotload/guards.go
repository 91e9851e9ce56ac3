package hotload

import "github.com/gerl-dev/gerl/eval"

// guardAlias is the name a module file imports the interpreter's checks
// under (see guardChecks).
const guardAlias = "gerl_guard_"

// guardChecks compiles into a module's file the checks the prompt's code
// gets (eval.RewriteIndexesMap, eval.RewriteGuardsMap): an index out of
// range says which index and which length, a make past the memory limit
// says so, a runaway recursion in a module function
// ends its process with reason {stack_overflow, "module.F"} instead of the
// node, and a process killed while busy in a loop stops. The checks are
// imported under a name of their own on the package clause's line, so lines
// do not move (columns do, on the lines rewritten). A file it cannot
// rewrite (or whose rewrite panics, a bug in gerl) is returned as it is.
func guardChecks(module, text string) (out string) {
	defer func() {
		if recover() != nil {
			out = text
		}
	}()
	// An index out of range says which index and which length.
	indexed, _, err := eval.RewriteIndexesMap(text, guardAlias+".Index", nil)
	if err != nil {
		indexed = text
	}
	out, _, err = eval.RewriteGuardsMap(indexed, eval.GuardNames{
		Enter:   guardAlias + ".Enter",
		Tick:    guardAlias + ".Tick",
		Counter: "__gerl_n",
		Prefix:  module + ".",
	})
	if err != nil || out == text {
		return text
	}
	return importOnPackageLine(text, out, guardAlias, eval.GuardPath)
}
