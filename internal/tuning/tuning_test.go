package tuning

import (
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// TestApply runs this test binary again as a child that calls Apply and
// reports what it runs with: the exec adds adaptivestackstart=0 to the
// user's GODEBUG, and the collector's goal is GCPercent unless GOGC is set.
func TestApply(t *testing.T) {
	if os.Getenv("TUNING_CHILD") != "" {
		Apply()
		old := debug.SetGCPercent(-1)
		os.Stdout.WriteString(os.Getenv("GODEBUG") + " " + strconv.Itoa(old) + "\n")
		os.Exit(0)
	}
	tests := []struct {
		name      string
		env       []string
		wantDebug string
		wantGC    string
	}{
		{"nothing set", nil, "adaptivestackstart=0", "400"},
		{"the user's GODEBUG is kept", []string{"GODEBUG=madvdontneed=1"}, "madvdontneed=1,adaptivestackstart=0", "400"},
		{"the user's choice of stacks is kept", []string{"GODEBUG=adaptivestackstart=1"}, "adaptivestackstart=1", "400"},
		{"GOGC wins", []string{"GOGC=150"}, "adaptivestackstart=0", "150"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestApply$")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GODEBUG=") && !strings.HasPrefix(kv, "GOGC=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(append(cmd.Env, "TUNING_CHILD=1"), tt.env...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v", err)
			}
			if got, want := strings.TrimSpace(string(out)), tt.wantDebug+" "+tt.wantGC; got != want {
				t.Fatalf("child runs with %q, want %q", got, want)
			}
		})
	}
}
