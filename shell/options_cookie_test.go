package shell

import (
	"errors"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// TestEmptyCookieIsAnError: -setcookie "" is refused with a reason, not
// silently replaced by the cookie file (RELIABILITY.md 10).
func TestEmptyCookieIsAnError(t *testing.T) {
	for _, args := range [][]string{{"-sname", "a", "-setcookie", ""}, {"-sname", "a", "-setcookie="}} {
		var stderr testkit.Buffer
		_, err := ParseArgs(args, &stderr)
		if !errors.Is(err, ErrUsage) || !strings.Contains(stderr.String(), "-setcookie needs a cookie") {
			t.Errorf("%q: %v, %q", args, err, stderr.String())
		}
	}
	o, err := ParseArgs([]string{"-sname", "a", "-setcookie", "c"}, &testkit.Buffer{})
	if err != nil || o.Cookie != "c" {
		t.Fatalf("a cookie: %+v, %v", o, err)
	}
}
