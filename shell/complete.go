package shell

// completer adapts a shell's completion to readline's AutoCompleter.
type completer struct {
	complete func(line string, pos int) (candidates []string, prefix string)
}

// Do implements readline.AutoCompleter: it returns the rest of each
// candidate after what the line already holds.
func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	text := string(line[:pos])
	cands, prefix := c.complete(text, len(text))
	out := make([][]rune, 0, len(cands))
	for _, cand := range cands {
		out = append(out, []rune(cand[len(prefix):]))
	}
	return out, len([]rune(prefix))
}
