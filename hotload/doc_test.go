package hotload

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docBlock is a fenced code block of docs/hotload.md.
type docBlock struct {
	info string // what follows the fence: go file=counter.go, gerl
	text string
	line int
}

func docBlocks(t *testing.T, path string) []docBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docBlock
	var cur *docBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &docBlock{info: strings.TrimSpace(line[3:]), line: n}
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: unterminated code block", path, cur.line)
	}
	return out
}

// TestDoc runs docs/hotload.md: every "go file=NAME" block is written to
// the module directory (again for an edit), every "gerl" block is a
// transcript whose "> " lines are evaluated at a prompt and whose other
// lines are what the shell prints ("..." matches anything).
func TestDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "hotload.md")
	h := newHarness(t)
	sh := newShell(h)
	ran := 0
	for _, b := range docBlocks(t, path) {
		switch {
		case strings.HasPrefix(b.info, "go file="):
			h.write(strings.TrimPrefix(b.info, "go file="), b.text)
		case b.info == "gerl":
			ran++
			runTranscript(t, sh, path, b)
		}
	}
	if ran == 0 {
		t.Fatal("no transcript in the doc")
	}
}

func runTranscript(t *testing.T, sh *shell, path string, b docBlock) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(b.text, "\n"), "\n")
	for i := 0; i < len(lines); {
		input, ok := strings.CutPrefix(lines[i], "> ")
		if !ok {
			t.Fatalf("%s:%d: transcript line without an input before it: %s", path, b.line+1+i, lines[i])
		}
		at := b.line + 1 + i
		var want []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "> "); i++ {
			want = append(want, lines[i])
		}
		got := sh.eval(input)
		if !matches(strings.Join(want, "\n"), got) {
			t.Fatalf("%s:%d: %s\n got: %s\nwant: %s", path, at, input, got, strings.Join(want, "\n"))
		}
	}
}

// matches compares output with an expectation where "..." matches any
// text.
func matches(want, got string) bool {
	parts := strings.Split(want, "...")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile(`\A` + strings.Join(parts, `(?s:.*)`) + `\z`).MatchString(got)
}
