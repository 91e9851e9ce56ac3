package bench

import (
	"reflect"
	"testing"
)

func TestParseErlangResult(t *testing.T) {
	r, err := parseErlangResult([]byte(`{"impl":"erlang","max_ms":1.5,"median_converge_ms":1.2,"name":"pg_converge","otp":"25","params":{"nodes":5,"reps":3},"samples":[{"converge_ms":1.2}],"schedulers":2}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "pg_converge" || r.Impl != "erlang" || r.Params["otp"] != "25" || r.Params["nodes"] != 5.0 {
		t.Fatalf("%+v", r)
	}
	if want := map[string]float64{"max_ms": 1.5, "median_converge_ms": 1.2}; !reflect.DeepEqual(r.Figures, want) {
		t.Fatalf("figures %v", r.Figures)
	}
	if len(r.Samples) != 1 || r.Samples[0]["converge_ms"] != 1.2 {
		t.Fatalf("samples %v", r.Samples)
	}
	if r, err := parseErlangResult([]byte(`{"name":"x","error":"badarg"}`)); err != nil || r.Error != "badarg" {
		t.Fatalf("error line: %+v %v", r, err)
	}
	for _, bad := range []string{`=WARNING REPORT====`, `{}`, `{"name":3}`} {
		if _, err := parseErlangResult([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
