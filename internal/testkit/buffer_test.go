package testkit

import (
	"reflect"
	"sync"
	"testing"
)

func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = b.Write([]byte("level=ERROR msg=crash pid=1\n"))
		}()
	}
	wg.Wait()
	_, _ = b.Write([]byte("level=INFO msg=up\n\n"))
	if got := len(b.Lines("crash", "pid=1")); got != 4 {
		t.Fatalf("Lines(crash, pid=1): %d lines, want 4", got)
	}
	if got, want := b.Lines("INFO"), []string{"level=INFO msg=up"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Lines(INFO) = %q, want %q", got, want)
	}
	if got := b.Lines(); len(got) != 5 {
		t.Fatalf("Lines() = %d lines, want the 5 non-empty ones", len(got))
	}
	b.Reset()
	if b.String() != "" {
		t.Fatalf("after Reset: %q", b.String())
	}
}
