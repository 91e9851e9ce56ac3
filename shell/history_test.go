package shell

import "testing"

func TestHistoryEntry(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1 + 2\n", "1 + 2"},
		{"for i := 0; i < 3; i++ {\n\tfmt.Println(i)\n}\n", "for i := 0; i < 3; i++ { fmt.Println(i); }"},
		{"x := []int{\n1,\n2,\n}\n", "x := []int{ 1, 2, }"},
		{"f := func() int {\n  return 1 // one\n}\n", "f := func() int { return 1; }"},
		{"s := `a\nb`\n", ""},
		{"a := \"x\\ny\"\nb := 2\n", `a := "x\ny"; b := 2`},
	} {
		if got := historyEntry(c.in); got != c.want {
			t.Errorf("historyEntry(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
