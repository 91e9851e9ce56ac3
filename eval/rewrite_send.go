// The "!" rewrite: Erlang's "Pid ! Msg" typed at the gerl prompt becomes a
// call fn(Pid, Msg) that yaegi can evaluate.
//
// Finding the operands by hand would mean reimplementing Go's expression
// grammar (composite literals in if headers, receive versus send, keys of
// composite literals ...). Instead every binary "!" is replaced by "||", the
// Go operator with the lowest precedence, the result is parsed with
// go/parser, and each chain of "||" operands is cut at the positions that
// were "!". Go's "||" associates to the left, so a chain is flat: its operands
// between two sends are joined by real "||" and the sends nest to the right.

package eval

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
)

// edit replaces src[off:off+del] with ins. Offsets inside ins map back to
// anchor, an offset in src.
type edit struct {
	off, del int
	ins      string
	anchor   int
}

// OffsetMap relates byte offsets in a rewritten text to offsets in the text
// it was rewritten from, so that a position in an error from yaegi can be
// shown in the text the user typed. The zero OffsetMap is the identity. An
// OffsetMap is immutable and safe for concurrent use.
type OffsetMap struct {
	stages [][]edit // applied in order; each stage's offsets are in the text before it
}

// Original returns the offset in the original text of the byte at offset
// off of the rewritten text. Inserted text maps to the place it was inserted
// for: the "fn(" of a send to the start of the target, the "," to the "!".
func (m OffsetMap) Original(off int) int {
	for i := len(m.stages) - 1; i >= 0; i-- {
		off = originalInStage(m.stages[i], off)
	}
	return off
}

func originalInStage(edits []edit, off int) int {
	delta := 0 // length added so far
	for _, e := range edits {
		start := e.off + delta
		if off < start {
			break
		}
		if off < start+len(e.ins) {
			return e.anchor
		}
		delta += len(e.ins) - e.del
	}
	return max(off-delta, 0)
}

// Then returns the map of doing m's rewrite and then next's: its Original
// takes an offset in next's output to the text m rewrote.
func (m OffsetMap) Then(next OffsetMap) OffsetMap {
	stages := make([][]edit, 0, len(m.stages)+len(next.stages))
	return OffsetMap{stages: append(append(stages, m.stages...), next.stages...)}
}

// applyEdits applies non-overlapping edits to src. Edits at the same offset
// apply in the order given, insertions before replacements.
func applyEdits(src string, edits []edit) (string, OffsetMap) {
	if len(edits) == 0 {
		return src, OffsetMap{}
	}
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].off != edits[j].off {
			return edits[i].off < edits[j].off
		}
		return edits[i].del == 0 && edits[j].del > 0
	})
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(src[last:e.off])
		b.WriteString(e.ins)
		last = e.off + e.del
	}
	b.WriteString(src[last:])
	return b.String(), OffsetMap{stages: [][]edit{edits}}
}

// rewriteUnits is the shape of a rewrite: it parses src into units, asks
// edits for each unit's edits, and applies them all (applyChecked, what
// naming the rewrite). A syntax error is returned as a *SourceError.
func rewriteUnits(src, what string, edits func(u *unit) []edit) (string, OffsetMap, error) {
	units, err := parseUnits(src)
	if err != nil {
		return "", OffsetMap{}, err
	}
	var all []edit
	for i := range units {
		all = append(all, edits(&units[i])...)
	}
	return applyChecked(src, all, what)
}

// applyChecked applies edits to src and makes sure the result still parses:
// a rewrite must never hand the interpreter code the user did not write
// wrong. what names the rewrite in the error.
func applyChecked(src string, edits []edit, what string) (string, OffsetMap, error) {
	out, m := applyEdits(src, edits)
	if len(edits) == 0 {
		return out, m, nil
	}
	if _, err := parseUnits(out); err != nil {
		var se *SourceError
		if errors.As(err, &se) {
			return "", OffsetMap{}, newSourceError(src, m.Original(se.Offset), "rewriting %s gave invalid Go: %s", what, se.Msg)
		}
		return "", OffsetMap{}, err
	}
	return out, m, nil
}

// oneLine returns the source of n on one line: verbatim when it has no
// newline or comment, else its tokens joined by spaces.
func oneLine(src string, u *unit, n ast.Node) (string, *SourceError) {
	start := u.off(n.Pos())
	text := src[start:u.off(n.End())]
	if !strings.ContainsAny(text, "\n/") {
		return text, nil
	}
	toks := scanTokens(text)
	if i := lastToken(toks); i+1 < len(toks) {
		toks = toks[:i+1] // the semicolon the scanner adds at the end
	}
	var parts []string
	for _, t := range toks {
		switch {
		case t.tok == token.SEMICOLON:
			parts = append(parts, ";")
		case t.lit != "":
			parts = append(parts, t.lit)
		default:
			parts = append(parts, t.tok.String())
		}
	}
	one := strings.Join(parts, " ")
	if strings.Contains(one, "\n") {
		return "", newSourceError(src, start, "cannot rewrite this closure for the interpreter: its type holds a multi-line string")
	}
	return one, nil
}

// RewriteSend turns every binary "!" in src into a call fn(target, msg) and
// reports whether it changed anything. See RewriteSendMap for the rules; this
// form is for callers that do not need to map positions back.
func RewriteSend(src, fn string) (out string, changed bool, err error) {
	out, m, err := RewriteSendMap(src, fn)
	if err != nil {
		return "", false, err
	}
	return out, len(m.stages) > 0, nil
}

// RewriteSendMap turns every binary "!" in src (shell input: statements,
// declarations, or both) into a call fn(target, msg), and returns the rewritten
// text with the map from its offsets back to src.
//
// "!" binds like Erlang's: weaker than every Go operator, and to the right, so
// "p ! n + 1" is fn(p, n + 1), "a == b ! c" is fn(a == b, c) and "a ! b ! c"
// is fn(a, fn(b, c)). An operand extends to the enclosing delimiters: ",", ";",
// a closing bracket, the ":" of a key or case, an assignment operator, a
// keyword such as return, the "{" opening the block of an if, for or switch,
// or a newline where Go ends a statement. A "!" is binary when it follows an
// operand on the same line; unary "!x", "!=", and "!" in strings and comments
// are left alone. Valid Go never holds a binary "!", so it comes back
// unchanged with the identity map.
//
// Newlines are kept, so line numbers in the output are those of src; only
// columns move, which the returned map undoes. Errors are *SourceError
// located in src: "missing message after !", "missing target before !" (a
// statement that is just "!x"), or a syntax error in the rest of the input.
// The output is parsed before it is returned.
func RewriteSendMap(src, fn string) (string, OffsetMap, error) {
	if !isFuncName(fn) {
		return "", OffsetMap{}, fmt.Errorf("rewrite send: %q is not a function name", fn)
	}
	toks := scanTokens(src)
	var bangs []int // offsets of binary "!"
	hasNot := false
	for i, t := range toks {
		if t.tok != token.NOT {
			continue
		}
		hasNot = true
		if i == 0 || !endsOperand(toks[i-1].tok) {
			continue
		}
		if i+1 == len(toks) || !startsOperand(toks[i+1].tok) {
			return "", OffsetMap{}, newSourceError(src, t.off, "missing message after ! (a send is written target ! message)")
		}
		bangs = append(bangs, t.off)
	}
	if !hasNot {
		return src, OffsetMap{}, nil
	}
	r := sendRewriter{src: src, fn: fn, bangs: bangs}
	return r.rewrite()
}

// sendRewriter holds the state of one RewriteSendMap call.
type sendRewriter struct {
	src   string
	fn    string
	bangs []int // offsets in src of the binary "!"s, ascending
	edits []edit
	err   error
}

func (r *sendRewriter) rewrite() (string, OffsetMap, error) {
	// Replace each binary "!" by "||": the k-th moves k bytes to the right.
	var b strings.Builder
	last := 0
	for _, off := range r.bangs {
		b.WriteString(r.src[last:off])
		b.WriteString("||")
		last = off + 1
	}
	b.WriteString(r.src[last:])
	units, err := parseUnits(b.String())
	if err != nil {
		var se *SourceError
		if !errors.As(err, &se) {
			return "", OffsetMap{}, err
		}
		off := r.toSrc(se.Offset)
		msg := se.Msg
		if r.isBang(off) {
			msg = strings.ReplaceAll(msg, "'||'", "'!'")
		}
		if len(r.bangs) == 0 {
			return r.src, OffsetMap{}, nil // no send: leave syntax errors to the evaluator
		}
		return "", OffsetMap{}, newSourceError(r.src, off, "%s", msg)
	}
	for i := range units {
		u := &units[i]
		for _, n := range u.nodes() {
			ast.Inspect(n, func(n ast.Node) bool { return r.visit(u, n) })
		}
	}
	if r.err != nil {
		return "", OffsetMap{}, r.err
	}
	return applyChecked(r.src, r.edits, "!")
}

// toSrc converts an offset in the text with "||" for "!" to one in src.
// The k-th "!" (from 0) is at bangs[k]+k in that text.
func (r *sendRewriter) toSrc(q int) int {
	k := sort.Search(len(r.bangs), func(i int) bool { return r.bangs[i]+i >= q })
	if k > 0 && q == r.bangs[k-1]+k { // the second "|" of the previous one
		return r.bangs[k-1]
	}
	return q - k
}

func (r *sendRewriter) isBang(off int) bool {
	i := sort.SearchInts(r.bangs, off)
	return i < len(r.bangs) && r.bangs[i] == off
}

func (r *sendRewriter) visit(u *unit, n ast.Node) bool {
	if r.err != nil {
		return false
	}
	switch n := n.(type) {
	case *ast.ExprStmt:
		if x, ok := ast.Unparen(n.X).(*ast.UnaryExpr); ok && x.Op == token.NOT {
			r.err = newSourceError(r.src, r.toSrc(u.off(x.OpPos)),
				"missing target before ! (a send is written target ! message)")
			return false
		}
	case *ast.BinaryExpr:
		if n.Op != token.LOR {
			return true
		}
		operands, ops := flattenOr(n)
		r.chain(u, operands, ops)
		for _, x := range operands {
			ast.Inspect(x, func(n ast.Node) bool { return r.visit(u, n) })
		}
		return false
	}
	return true
}

// flattenOr returns the operands and operator positions of the chain of "||"
// that x heads: a || b || c is ((a || b) || c).
func flattenOr(x *ast.BinaryExpr) ([]ast.Expr, []token.Pos) {
	var operands []ast.Expr
	var ops []token.Pos
	if l, ok := x.X.(*ast.BinaryExpr); ok && l.Op == token.LOR {
		operands, ops = flattenOr(l)
	} else {
		operands = []ast.Expr{x.X}
	}
	return append(operands, x.Y), append(ops, x.OpPos)
}

// chain records the edits for one flattened "||" chain: each run of operands
// between sends is an operand of fn, and the sends nest to the right.
func (r *sendRewriter) chain(u *unit, operands []ast.Expr, ops []token.Pos) {
	sends := 0
	segStart := 0 // index of the first operand of the current run
	for i, op := range ops {
		bang := r.toSrc(u.off(op))
		if !r.isBang(bang) {
			continue
		}
		sends++
		start := r.toSrc(u.off(operands[segStart].Pos()))
		r.edits = append(r.edits, edit{off: start, ins: r.fn + "(", anchor: start})
		end := r.toSrc(u.off(operands[i].End()))
		from := bang // also drop the blanks before the "!"
		for from > end && (r.src[from-1] == ' ' || r.src[from-1] == '\t') {
			from--
		}
		comma := ","
		if bang+1 < len(r.src) && !strings.ContainsRune(" \t\r\n", rune(r.src[bang+1])) {
			comma = ", "
		}
		r.edits = append(r.edits, edit{off: from, del: bang + 1 - from, ins: comma, anchor: bang})
		segStart = i + 1
	}
	if sends > 0 {
		end := r.toSrc(u.off(operands[len(operands)-1].End()))
		r.edits = append(r.edits, edit{off: end, ins: strings.Repeat(")", sends), anchor: end})
	}
}

// endsOperand reports whether a token can end an operand, making a "!" right
// after it (on the same line) binary.
func endsOperand(t token.Token) bool {
	switch t {
	case token.IDENT, token.INT, token.FLOAT, token.IMAG, token.CHAR, token.STRING,
		token.RPAREN, token.RBRACK, token.RBRACE:
		return true
	}
	return false
}

// startsOperand reports whether a token can start the message of a send.
func startsOperand(t token.Token) bool {
	switch t {
	case token.IDENT, token.INT, token.FLOAT, token.IMAG, token.CHAR, token.STRING,
		token.LPAREN, token.LBRACK, token.FUNC, token.CHAN, token.MAP, token.STRUCT, token.INTERFACE,
		token.ADD, token.SUB, token.NOT, token.XOR, token.MUL, token.AND, token.ARROW, token.TILDE:
		return true
	}
	return false
}

// isFuncName reports whether fn is an identifier or a qualified one (pkg.Send).
func isFuncName(fn string) bool {
	x, err := parser.ParseExpr(fn)
	for err == nil {
		switch e := x.(type) {
		case *ast.Ident:
			return e.Name != "_" && strings.TrimSpace(fn) == fn
		case *ast.SelectorExpr:
			x = e.X
		default:
			return false
		}
	}
	return false
}
