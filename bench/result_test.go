package bench

import (
	"reflect"
	"testing"
)

// TestMedians: every figure is the median of its samples, the mean of the
// two middle ones for an even count (Erlang's harness's rule); a key that
// some samples lack is the median of the others.
func TestMedians(t *testing.T) {
	got := medians([]map[string]float64{
		{"a": 3, "b": 10},
		{"a": 1, "b": 40},
		{"a": 2, "b": 20, "c": 7},
		{"a": 100, "b": 30},
		{"a": 5, "b": 50},
	})
	want := map[string]float64{"a": 3, "b": 30, "c": 7}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("medians = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{4}, 4}, {[]float64{4, 1}, 2.5}, {[]float64{9, 1, 5, 3}, 4}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
