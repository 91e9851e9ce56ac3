package docs

import "testing"

// TestTutorial runs docs/tutorial.md: its foo and bar blocks on two real
// nodes, in the order of the text, with the directives of
// cluster_helpers_test.go for what the reader does outside the prompt
// (start a node, close its terminal, edit a file).
func TestTutorial(t *testing.T) {
	t.Parallel()
	runDocument(t, "tutorial.md", "")
}

// TestObserverDoc runs docs/observer.md's examples on two real nodes.
func TestObserverDoc(t *testing.T) {
	t.Parallel()
	runDocument(t, "observer.md", "")
}

// TestReadmeDemo runs the 30-second demo of the README on two real nodes.
func TestReadmeDemo(t *testing.T) {
	t.Parallel()
	runDocument(t, "../README.md", "")
}
