package hotload

import "github.com/gerl-dev/gerl/eval"

// guardAlias is the name a module file imports the interpreter's checks
// under (see guardChecks).
const guardAlias = "gerl_guard_"

// guardChecks compiles into a module's file the checks the prompt's code
// gets (eval.RewriteModuleIndexesMap, eval.RewriteGuardsMap): an index out of
// range says which index and which length, a make past the memory limit
// says so, a runaway recursion in a module function
// ends its process with reason {stack_overflow, "module.F"} instead of the
// node, and a process killed while busy in a loop stops. The checks are
// imported under a name of their own on the package clause's line, so lines
// do not move (columns do, on the lines rewritten). A file it cannot
// rewrite (or whose rewrite panics, a bug in gerl) is returned as it is.
func guardChecks(module, text string, siblings []string) (out string) {
	defer func() {
		if recover() != nil {
			out = text
		}
	}()
	// An index out of range says which index and which length.
	// The calls of generic functions get their type arguments written
	// (the other files of the package declare some).
	indexed, _, err := eval.RewriteModuleIndexesMap(text, guardAlias+".Index", siblings)
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
