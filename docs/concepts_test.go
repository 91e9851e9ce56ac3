package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestConceptsDoc runs the single-node transcripts of concepts.md. The hot
// code example writes its module under os.TempDir(), which TMPDIR points
// at a directory the test removes. The node has a memory limit of 1 GiB,
// as the text says, for the make past it.
func TestConceptsDoc(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	runSingleNode(t, "concepts.md", "-max_memory", "1024")
}

// citedPath matches a repository path in backquotes: `node/mailbox.go`,
// `node/dist/`, `docs/protocol.md`.
var citedPath = regexp.MustCompile("`((?:cmd|docs|eval|hotload|internal|node|portmapper|shell|bench)(?:/[A-Za-z0-9_.-]+)*(?:\\.go|\\.md|/))`")

// TestArchitectureDocPaths checks that every file and directory
// architecture.md cites exists, so the document cannot drift from the
// tree unnoticed.
func TestArchitectureDocPaths(t *testing.T) {
	data, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	matches := citedPath.FindAllStringSubmatch(string(data), -1)
	if len(matches) < 20 {
		t.Fatalf("architecture.md cites only %d paths; the pattern may be broken", len(matches))
	}
	seen := map[string]bool{}
	for _, m := range matches {
		p := m[1]
		if seen[p] {
			continue
		}
		seen[p] = true
		if _, err := os.Stat(filepath.Join("..", filepath.FromSlash(p))); err != nil {
			t.Errorf("architecture.md cites %s, which does not exist", p)
		}
	}
}
