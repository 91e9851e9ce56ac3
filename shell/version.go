package shell

import (
	"runtime"
	"strings"
)

// Version is gerl's version.
const Version = "0.1.0"

func goVersion() string { return strings.TrimPrefix(runtime.Version(), "go") }
