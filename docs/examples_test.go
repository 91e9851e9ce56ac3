package docs

import (
	"path/filepath"
	"testing"
)

// TestExamples runs the transcript of each example's README on real
// nodes, started in the root of the repository (where the READMEs tell the
// reader to start them), as TestTutorial runs the tutorial.
func TestExamples(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := filepath.Glob("examples/*/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no examples/*/README.md")
	}
	for _, readme := range dirs {
		name := filepath.Base(filepath.Dir(readme))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runDocument(t, readme, root)
		})
	}
}
