package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestFindGerl: the gerl binary measured is the one gerl bench names, else
// the one beside gerl-bench, else the one on PATH, else none.
func TestFindGerl(t *testing.T) {
	exe := func(dir string) string {
		p := filepath.Join(dir, "gerl")
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	besideDir, pathDir, empty := t.TempDir(), t.TempDir(), t.TempDir()
	beside, onPath := exe(besideDir), exe(pathDir)
	self := filepath.Join(besideDir, "gerl-bench")
	lonely := filepath.Join(empty, "gerl-bench")
	tests := []struct {
		name, env, path, self, want string
	}{
		{"named by gerl bench", "/named/gerl", pathDir, self, "/named/gerl"},
		{"beside gerl-bench", "", pathDir, self, beside},
		{"on PATH", "", pathDir, lonely, onPath},
		{"none", "", empty, lonely, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envGerl, tt.env)
			t.Setenv("PATH", tt.path)
			if got := findGerl(tt.self); got != tt.want {
				t.Fatalf("findGerl(%s) = %q, want %q", tt.self, got, tt.want)
			}
		})
	}
}
