package eval

import "testing"

// TestStdGenerics: the functions of slices, maps and cmp called as Go
// calls them, without type arguments (yaegi had no Sort, Min, Max or
// BinarySearch, could infer the type arguments of none of cmp's and of
// most of the others', lacked clear for DeleteFunc, and could not assign
// their results at the top level of the prompt).
func TestStdGenerics(t *testing.T) {
	ts := newTestShell(t)
	evalCases(t, ts, []struct{ in, want string }{
		{`xs := []int{3, 1, 2, 3}`, "[3,1,2,3]"},
		{`slices.Sort(xs); xs`, "[1,2,3,3]"},
		{`ss := []string{"b", "c", "a"}; slices.Sort(ss); ss`, `["a","b","c"]`},
		{`type Celsius float64; cs := []Celsius{2.5, -1, 0}; slices.Sort(cs); cs`, "[-1.0,0.0,2.5]"},
		{`us := []uint16{9, 3}; slices.Sort(us); us`, "[3,9]"},
		{`T(slices.Min(xs), slices.Max(xs), slices.Max(ss))`, `{1,3,"c"}`},
		{`slices.Max([]int{})`, "ERR ** exception error: slices.Max: empty list\n     in function  slices.Max"},
		{`T(slices.BinarySearch(xs, 3))`, "{2,true}"},
		{`T(slices.BinarySearch(xs, 0))`, "{0,false}"},
		{`T(slices.Index(xs, 2), slices.Contains(xs, 5), slices.IndexFunc(xs, func(x int) bool { return x > 1 }))`, "{1,false,1}"},
		{`slices.Equal(xs, []int{1, 2, 3, 3})`, "true"},
		{`slices.CompareFunc(xs, []int{1, 2, 4}, func(a, b int) int { return a - b })`, "-1"},
		{`slices.Reverse(xs); xs`, "[3,3,2,1]"},
		{`slices.Compact(xs)`, "[3,2,1]"},
		{`slices.Insert([]int{1, 4}, 1, 2, 3)`, "[1,2,3,4]"},
		{`slices.Delete([]int{0, 1, 2, 3}, 1, 3)`, "[0,3]"},
		{`slices.DeleteFunc([]int{1, 2, 3, 4}, func(x int) bool { return x%2 == 0 })`, "[1,3]"},
		{`slices.Replace([]int{0, 1, 2}, 1, 2, 7, 8)`, "[0,7,8,2]"},
		{`cl := slices.Clone(ss); cl[0] = "z"; T(cl, ss)`, `{["z","b","c"],["a","b","c"]}`},
		{`slices.Concat([]int{1}, nil, []int{2, 3})`, "[1,2,3]"},
		{`slices.Repeat([]string{"ab"}, 3)`, `["ab","ab","ab"]`},
		{`T(cap(slices.Grow([]int{1}, 10)) >= 11, len(slices.Clip(make([]int, 2, 9))), cap(slices.Clip(make([]int, 2, 9))))`, "{true,2,2}"},
		{`type P struct{ N string; A int }; ps := []P{{"b", 2}, {"a", 2}, {"c", 1}}`, "[{N:b A:2},{N:a A:2},{N:c A:1}]"},
		{`slices.SortStableFunc(ps, func(x, y P) int { return x.A - y.A }); ps`, "[{N:c A:1},{N:b A:2},{N:a A:2}]"},
		{`slices.SortFunc(ps, func(x, y P) int { return strings.Compare(x.N, y.N) }); ps`, "[{N:a A:2},{N:b A:2},{N:c A:1}]"},
		{`T(slices.IsSortedFunc(ps, func(x, y P) int { return strings.Compare(x.N, y.N) }), slices.IsSorted([]int{2, 1}))`, "{true,false}"},
		{`slices.MaxFunc(ps, func(x, y P) int { return x.A - y.A }).N`, `"a"`}, // the first of the largest
		{`big := make([]int, 1000); for i := range big { big[i] = (i * 7919) % 1000 }; sorted := slices.Clone(big); slices.SortFunc(sorted, func(a, b int) int { return b - a }); T(slices.IsSortedFunc(sorted, func(a, b int) int { return b - a }), sorted[0], sorted[999])`, "{true,999,0}"},
		{`st := make([]P, 200); for i := range st { st[i] = P{fmt.Sprint(i), i % 3} }; slices.SortStableFunc(st, func(x, y P) int { return x.A - y.A }); T(st[0].N, st[1].N, st[66].N, st[67].N, st[199].N)`, `{"0","3","198","1","197"}`},
		{`func() int { a, b := 2, 1; return cmp.Compare(a, b) }()`, "1"},
		{`T(cmp.Compare(2, 1), cmp.Less("a", "b"), cmp.Or(0, 3))`, "{1,true,3}"},
		{`slices.SortFunc(ps, func(x, y P) int { return cmp.Compare(y.A, x.A) }); ps[0].A`, "2"},
		{`m := map[string]int{"a": 1, "b": 2}`, `#{"a" => 1,"b" => 2}`},
		{`m2 := maps.Clone(m); m2["c"] = 3; T(len(m), len(m2), maps.Equal(m, m2))`, "{2,3,false}"},
		{`maps.Copy(m2, map[string]int{"d": 4}); maps.DeleteFunc(m2, func(k string, v int) bool { return v%2 == 0 }); m2`, `#{"a" => 1,"c" => 3}`},
		{`maps.EqualFunc(m, map[string]float64{"a": 1, "b": 2}, func(x int, y float64) bool { return float64(x) == y })`, "true"},
	})
}
