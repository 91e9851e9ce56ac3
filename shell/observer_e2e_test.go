package shell

import (
	"regexp"
	"strings"
	"testing"
)

// TestObserverFlag: -observer serves the page from the start and says
// where; observer() at the prompt answers the same URL, which serves the
// node's data; a malformed address is refused.
func TestObserverFlag(t *testing.T) {
	e := newTestEnv(t)
	input := `u := observer()
r, err := http.Get(u + "api/cluster")
err
r.StatusCode
`
	out, errOut, code := e.runPiped(t, input, "-observer", "127.0.0.1:0")
	m := regexp.MustCompile(`observer at (http://127\.0\.0\.1:\d+/)`).FindStringSubmatch(errOut)
	if code != 0 || m == nil {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// The assignments print what they bind (the URL, the response).
	if want := "nil\n200\n"; !strings.HasPrefix(out, `"`+m[1]+`"`) || !strings.HasSuffix(out, want) {
		t.Fatalf("stdout %q, want the URL first and %q last", out, want)
	}

	out, _, code = e.runPiped(t, "observer()\n")
	if code != 0 || !regexp.MustCompile(`^"http://127\.0\.0\.1:\d+/"\n$`).MatchString(out) {
		t.Fatalf("observer() without the flag: exit %d, %q", code, out)
	}

	_, errOut, code = e.runPiped(t, "", "-observer", "8080")
	if code != 2 || !strings.Contains(errOut, "-observer must be host:port") {
		t.Fatalf("a bad address: exit %d, %q", code, errOut)
	}
}
