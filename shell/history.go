package shell

import (
	"go/scanner"
	"go/token"
	"strings"
)

// historyEntry turns an input into the one line the history file keeps
// (readline's history is line based; a multi-line input must stay one
// entry). Newlines become what Go reads them as: "; " where Go inserts a
// semicolon, a space elsewhere. Comments are dropped. An input whose raw
// strings span lines is kept as typed, minus its newlines' meaning: it is
// not saved.
func historyEntry(src string) string {
	src = strings.TrimRight(src, " \t\r\n")
	if !strings.Contains(src, "\n") {
		return src
	}
	var s scanner.Scanner
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	s.Init(file, []byte(src), func(token.Position, string) {}, 0)
	var b strings.Builder
	prevEnd := 0
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		off := file.Offset(pos)
		if tok == token.SEMICOLON && lit == "\n" {
			b.WriteString(";")
			prevEnd = off // the newline itself becomes the next gap
			continue
		}
		gap := src[prevEnd:off]
		if strings.Contains(gap, "\n") || (gap != "" && strings.TrimSpace(gap) == "") {
			gap = " "
		}
		b.WriteString(gap)
		text := lit
		if text == "" {
			text = tok.String()
		}
		if tok == token.STRING && strings.Contains(text, "\n") {
			return ""
		}
		b.WriteString(text)
		prevEnd = off + len(text)
	}
	return strings.TrimSuffix(strings.TrimSpace(b.String()), ";")
}
