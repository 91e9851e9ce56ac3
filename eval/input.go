// Shell input: deciding whether the user has finished typing, and cutting
// one input into pieces that yaegi can evaluate one after another.
//
// The helpers at the bottom (source errors, positions, the statement chunker
// and the chunk parser) are shared with rewrite_send.go and rewrite_loop.go:
// all three read the same kind of input, statements mixed with top-level
// declarations, which neither go/parser nor yaegi accepts in one piece.

package eval

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"
)

// SourceError is a problem in the user's input. Line and Col (1-based, Col
// counted in bytes like go/scanner does) locate it in the text the user typed;
// Offset is the same place as a byte offset. Error formats it as
// "line L:C: message".
type SourceError struct {
	Offset int
	Line   int
	Col    int
	Msg    string
}

func (e *SourceError) Error() string {
	return fmt.Sprintf("line %d:%d: %s", e.Line, e.Col, e.Msg)
}

// newSourceError builds a SourceError at byte offset off of src.
func newSourceError(src string, off int, format string, args ...any) *SourceError {
	line, col := LineCol(src, off)
	return &SourceError{Offset: off, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// LineCol returns the 1-based line and byte column of byte offset off in src.
// Offsets outside src are clamped to it.
func LineCol(src string, off int) (line, col int) {
	off = max(0, min(off, len(src)))
	nl := strings.LastIndexByte(src[:off], '\n')
	return strings.Count(src[:off], "\n") + 1, off - nl
}

// lineOffset is the inverse of LineCol: the byte offset of line:col in src,
// clamped to src.
func lineOffset(src string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	return max(0, min(off+col-1, len(src)))
}

// SegmentKind tells how a Segment must be evaluated.
type SegmentKind int

const (
	// Stmts is a run of statements, which may include var, const and type
	// declarations.
	Stmts SegmentKind = iota + 1
	// Decl is one or more import, func or method declarations.
	Decl
)

func (k SegmentKind) String() string {
	switch k {
	case Stmts:
		return "Stmts"
	case Decl:
		return "Decl"
	}
	return fmt.Sprintf("SegmentKind(%d)", int(k))
}

// Segment is a piece of shell input that yaegi can evaluate in one Eval call.
// Text is a verbatim slice of the input given to Split, starting at byte
// Offset of it.
type Segment struct {
	Kind   SegmentKind
	Text   string
	Offset int
}

// yaegi v0.16.1 parses an Eval's source after prepending one of these to its
// first line (interp/ast.go: parse and wrapInMain), which shifts the columns it
// reports on line 1.
const (
	yaegiFilePrefix = "package main;"
	yaegiMainPrefix = "package main; func main() {"
)

// InputOffset converts a line:col that yaegi reports for Eval(s.Text) into a
// byte offset in the input that Split was given. Yaegi prefixes line 1 of the
// source with "package main;" when it starts with import, func, var, const or
// type, and with "package main; func main() {" otherwise (and for a func
// literal statement, after a failed first try); InputOffset removes that shift.
func (s Segment) InputOffset(line, col int) int {
	if line == 1 {
		col -= s.yaegiShift()
		if col < 1 {
			col = 1
		}
	}
	return s.Offset + lineOffset(s.Text, line, col)
}

func (s Segment) yaegiShift() int {
	toks := scanTokens(s.Text)
	if len(toks) == 0 {
		return len(yaegiMainPrefix)
	}
	switch toks[0].tok {
	case token.PACKAGE:
		return 0
	case token.IMPORT, token.CONST, token.TYPE, token.VAR:
		return len(yaegiFilePrefix)
	case token.FUNC:
		if s.Kind == Decl {
			return len(yaegiFilePrefix)
		}
		return len(yaegiMainPrefix) + 1 // and stmtsText's ";"
	}
	return len(yaegiMainPrefix)
}

// Split cuts src into segments that yaegi can evaluate one after another with
// the same effect as the whole input, because yaegi cannot evaluate a
// top-level func or method declaration together with statements in one Eval.
//
// Import declarations, wherever they appear, come first (adjacent ones share a
// segment). The rest keeps its order: runs of func and method declarations
// become Decl segments, everything else Stmts segments. A Stmts segment that
// starts with var, const or type and goes on with other statements is cut
// after those declarations, because yaegi parses an input starting with such a
// keyword as a file and would reject the statements. Input that starts with
// a package clause is a whole file: one Decl segment. Empty input gives no
// segments.
//
// src must already be plain Go: rewrite sends (RewriteSend) first. A syntax
// error is returned as a *SourceError located in src.
func Split(src string) ([]Segment, error) {
	units, err := parseUnits(src)
	if err != nil {
		return nil, err
	}
	var imports, rest []Segment
	for _, u := range units {
		seg := Segment{Kind: u.kind, Text: src[u.start:u.end], Offset: u.start}
		if u.imp {
			imports = appendSegment(imports, seg)
		} else {
			rest = appendSegment(rest, seg)
		}
	}
	return append(imports, rest...), nil
}

// appendSegment appends seg, merging it into the previous segment when both
// are contiguous declarations.
func appendSegment(segs []Segment, seg Segment) []Segment {
	if n := len(segs); n > 0 && seg.Kind == Decl && segs[n-1].Kind == Decl &&
		segs[n-1].Offset+len(segs[n-1].Text) == seg.Offset {
		segs[n-1].Text += seg.Text
		return segs
	}
	return append(segs, seg)
}

// Incomplete reports whether the shell should read another line before
// evaluating src: a bracket, raw string or /* comment is still open, the last
// token needs something after it (a binary operator, ",", "=", ".", "!", a
// keyword such as if, func or struct), or the last declaration is a func
// header without a body. It reports false for complete input and for input
// with a syntax error that more lines cannot fix, such as an unterminated
// "string" or a stray closing bracket. src may contain "pid ! msg" sends.
func Incomplete(src string) bool {
	var errs scanner.ErrorList
	toks := scanTokensErr(src, &errs)
	for _, e := range errs {
		switch e.Msg {
		case "raw string literal not terminated", "comment not terminated":
			return true
		}
	}
	if len(errs) > 0 {
		return false
	}
	var stack []token.Token
	for _, t := range toks {
		switch t.tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, t.tok)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if len(stack) == 0 || stack[len(stack)-1] != opener(t.tok) {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return true
	}
	last := lastToken(toks)
	if last < 0 {
		return false
	}
	if needsMore(toks[last].tok) {
		return true
	}
	plain, _, err := RewriteSend(src, "send")
	if err != nil {
		return false
	}
	units, err := parseUnits(plain)
	if err != nil {
		var se *SourceError
		return errors.As(err, &se) && strings.HasSuffix(se.Msg, "found 'EOF'")
	}
	if n := len(units); n > 0 && units[n-1].kind == Decl {
		if decls := units[n-1].file.Decls; len(decls) > 0 {
			fd, ok := decls[len(decls)-1].(*ast.FuncDecl)
			return ok && fd.Body == nil
		}
	}
	return false
}

func opener(closer token.Token) token.Token {
	switch closer {
	case token.RPAREN:
		return token.LPAREN
	case token.RBRACK:
		return token.LBRACK
	}
	return token.LBRACE
}

// lastToken returns the index of the last token that is not the semicolon
// the scanner inserts at a newline or at the end, or -1.
func lastToken(toks []tok) int {
	i := len(toks) - 1
	for i >= 0 && toks[i].tok == token.SEMICOLON && toks[i].lit == "\n" {
		i--
	}
	return i
}

// needsMore reports whether an input ending with t cannot be complete.
func needsMore(t token.Token) bool {
	if t.IsOperator() {
		switch t {
		case token.INC, token.DEC, token.RPAREN, token.RBRACK, token.RBRACE, token.SEMICOLON, token.ELLIPSIS:
			return false
		}
		return true
	}
	switch t {
	case token.CHAN, token.FUNC, token.MAP, token.STRUCT, token.INTERFACE,
		token.GO, token.DEFER, token.IF, token.ELSE, token.FOR, token.SWITCH, token.SELECT,
		token.CASE, token.RANGE, token.GOTO, token.VAR, token.CONST, token.TYPE,
		token.IMPORT, token.PACKAGE:
		return true
	}
	return false
}

// tok is a scanned token with its byte offset.
type tok struct {
	off int
	tok token.Token
	lit string
}

// scanTokens scans src, skipping comments, with the scanner's automatic
// semicolons (lit "\n"). Scanning goes on after errors.
func scanTokens(src string) []tok {
	var errs scanner.ErrorList
	return scanTokensErr(src, &errs)
}

func scanTokensErr(src string, errs *scanner.ErrorList) []tok {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), errs.Add, 0)
	var toks []tok
	for {
		pos, t, lit := s.Scan()
		if t == token.EOF {
			return toks
		}
		toks = append(toks, tok{off: file.Offset(pos), tok: t, lit: lit})
	}
}

// unit is a parsed piece of mixed shell input: one top-level statement or
// declaration, or (after grouping) a run of them that go/parser accepts in
// one piece.
type unit struct {
	kind       SegmentKind
	imp        bool // an import declaration
	pkg        bool // a whole file, package clause included
	genDecl    bool // every statement is a var, const or type declaration
	start, end int  // byte range in the input
	fset       *token.FileSet
	file       *ast.File // Decl: the declarations; Stmts: file.Decls[0] wraps the statements
	base       int       // input offset = fset offset + base
}

const (
	declPrefix = "package p\n"
	stmtPrefix = "package p\nfunc _() {\n"
	stmtSuffix = "\n}"
)

// body returns the statements of a Stmts unit.
func (u *unit) body() *ast.BlockStmt {
	return u.file.Decls[0].(*ast.FuncDecl).Body
}

// off converts a position in the unit's AST to a byte offset in the input.
func (u *unit) off(p token.Pos) int {
	return min(max(u.fset.Position(p).Offset+u.base, u.start), u.end)
}

// span returns the byte range of n in the input, empty for a nil node.
func (u *unit) span(n ast.Node) [2]int {
	if n == nil {
		return [2]int{}
	}
	return [2]int{u.off(n.Pos()), u.off(n.End())}
}

// nodes returns the roots to walk: the statements or the declarations.
func (u *unit) nodes() []ast.Node {
	var ns []ast.Node
	if u.kind == Stmts {
		for _, s := range u.body().List {
			ns = append(ns, s)
		}
		return ns
	}
	for _, d := range u.file.Decls {
		ns = append(ns, d)
	}
	return ns
}

// chunkSource cuts src into top-level statements and declarations at the
// semicolons (written or automatic) outside brackets. Each chunk runs from its
// first token to the first token of the next one (the first from 0, the last
// to the end), so the chunks tile src. When the brackets do not match, src is
// returned as one chunk of statements, for the parser to report the error.
func chunkSource(src string) []unit {
	toks := scanTokens(src)
	if len(toks) > 0 && toks[0].tok == token.PACKAGE {
		return []unit{{kind: Decl, pkg: true, start: 0, end: len(src)}}
	}
	var units []unit
	var stack []token.Token
	first := 0 // index of the current statement's first token
	for i, t := range toks {
		switch t.tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, t.tok)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if len(stack) == 0 || stack[len(stack)-1] != opener(t.tok) {
				return []unit{{kind: Stmts, start: 0, end: len(src)}}
			}
			stack = stack[:len(stack)-1]
		case token.SEMICOLON:
			if len(stack) == 0 {
				if first < i {
					units = append(units, classify(toks, first))
				}
				first = i + 1
			}
		}
	}
	if first < len(toks) {
		units = append(units, classify(toks, first))
	}
	for i := range units {
		if i == 0 {
			units[i].start = 0
		}
		if i+1 < len(units) {
			units[i].end = units[i+1].start
		} else {
			units[i].end = len(src)
		}
	}
	return units
}

// classify makes the unit for the statement or declaration starting at
// toks[i].
func classify(toks []tok, i int) unit {
	u := unit{kind: Stmts, start: toks[i].off}
	at := func(j int) token.Token {
		if j < len(toks) {
			return toks[j].tok
		}
		return token.EOF
	}
	switch at(i) {
	case token.IMPORT:
		u.kind, u.imp = Decl, true
	case token.VAR, token.CONST, token.TYPE:
		u.genDecl = true
	case token.FUNC:
		switch at(i + 1) {
		case token.IDENT:
			u.kind = Decl
		case token.LPAREN: // a method has a receiver, then its name and "(".
			depth := 0
			for j := i + 1; j < len(toks); j++ {
				switch at(j) {
				case token.LPAREN, token.LBRACK, token.LBRACE:
					depth++
				case token.RPAREN, token.RBRACK, token.RBRACE:
					depth--
				}
				if depth == 0 {
					if at(j+1) == token.IDENT && (at(j+2) == token.LPAREN || at(j+2) == token.LBRACK) {
						u.kind = Decl
					}
					break
				}
			}
		}
	}
	return u
}

// parseUnits chunks src and parses it, grouping the chunks into as few units
// as yaegi can evaluate in one Eval each (see Split). A syntax error comes
// back as a *SourceError located in src.
func parseUnits(src string) ([]unit, error) {
	chunks := chunkSource(src)
	if len(chunks) == 0 { // nothing but blanks and comments
		var errs scanner.ErrorList
		if scanTokensErr(src, &errs); len(errs) > 0 {
			return nil, newSourceError(src, errs[0].Pos.Offset, "%s", errs[0].Msg)
		}
	}
	var groups []unit
	for _, c := range chunks {
		if n := len(groups); n > 0 && joins(groups[n-1], c) {
			groups[n-1].end = c.end
			groups[n-1].genDecl = groups[n-1].genDecl && c.genDecl
			continue
		}
		groups = append(groups, c)
	}
	for i := range groups {
		if err := groups[i].parse(src); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

// joins reports whether chunk c can be evaluated together with the group g
// before it: imports with imports, funcs with funcs, statements with
// statements, except that yaegi parses a group starting with var, const or
// type as a file, which must then hold declarations only.
func joins(g, c unit) bool {
	switch {
	case g.imp || c.imp:
		return g.imp && c.imp
	case g.kind != c.kind:
		return false
	case g.kind == Decl:
		return true
	}
	return !g.genDecl || c.genDecl
}

// parse parses the unit's text of src.
func (u *unit) parse(src string) error {
	text := src[u.start:u.end]
	prefix, suffix := declPrefix, ""
	if u.kind == Stmts {
		prefix, suffix = stmtPrefix, stmtSuffix
	} else if u.pkg {
		prefix = ""
	}
	u.fset = token.NewFileSet()
	u.base = u.start - len(prefix)
	f, err := parser.ParseFile(u.fset, "", prefix+text+suffix, parser.SkipObjectResolution)
	if err != nil {
		if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
			off, msg := list[0].Pos.Offset+u.base, list[0].Msg
			if off >= u.end {
				// At the "}" closing the wrapper function: the input ended.
				msg = strings.ReplaceAll(msg, "found '}'", "found 'EOF'")
			}
			return newSourceError(src, min(max(off, u.start), u.end), "%s", msg)
		}
		return newSourceError(src, u.start, "%v", err)
	}
	u.file = f
	if u.kind == Stmts && len(f.Decls) != 1 {
		// A stray "}" closed the wrapper function early.
		return newSourceError(src, u.off(u.body().Rbrace), "unexpected }")
	}
	return nil
}
