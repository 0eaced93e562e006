package fn

import (
	"testing"

	"vigil/internal/doc"
)

// TestArgumentOrder checks that operators and single-value functions look at
// their arguments left to right as Elasticsearch's generated evaluators do:
// a multi-value before a null warns, a null before a multi-value does not
// (see args.go). Each case is run with the multi-value at position mv and a
// null at position null, the other arguments single.
func TestArgumentOrder(t *testing.T) {
	ts := doc.Value{T: doc.Date, I: 86_400_000}
	multi := func(v doc.Value) doc.Value { return doc.Multi(v.T, []doc.Value{v, v}) }
	type call struct {
		name string
		eval func(t *testing.T, types []doc.Type) Eval
		args []doc.Value // single values, one per argument
	}
	binary := func(op Op, l, r doc.Value) call {
		return call{op.String(), func(t *testing.T, types []doc.Type) Eval {
			_, ev, err := Binary(op, types[0], types[1])
			if err != nil {
				t.Fatal(err)
			}
			return ev
		}, []doc.Value{l, r}}
	}
	function := func(name string, args ...doc.Value) call {
		return call{name, func(t *testing.T, types []doc.Type) Eval {
			f, ok := Lookup(name)
			if !ok {
				t.Fatalf("%s not registered", name)
			}
			_, ev, err := f.Resolve(types, make([]*doc.Value, len(types)))
			if err != nil {
				t.Fatal(err)
			}
			return ev
		}, args}
	}
	calls := []call{
		binary(Add, doc.Int(1), doc.Long64(2)),
		binary(Sub, doc.Float(1), doc.Int(2)),
		binary(Mul, doc.Long64(1), doc.Long64(2)),
		binary(Add, ts, doc.Value{T: doc.TimeDuration, I: 1}),
		binary(Eq, doc.KeywordOf("a"), doc.KeywordOf("b")),
		binary(Eq, doc.Int(1), doc.Long64(2)),
		binary(Neq, doc.Bool(true), doc.Bool(false)),
		binary(Lt, doc.Int(1), doc.Long64(2)),
		binary(Gte, ts, ts),
		function("DATE_DIFF", doc.KeywordOf("second"), ts, ts),
		function("DATE_FORMAT", doc.KeywordOf("yyyy"), ts),
		function("DATE_EXTRACT", doc.KeywordOf("year"), ts),
		function("CONCAT", doc.KeywordOf("a"), doc.KeywordOf("b"), doc.KeywordOf("c")),
		function("SUBSTRING", doc.KeywordOf("abc"), doc.Int(1), doc.Int(2)),
		function("COPY_SIGN", doc.Float(1), doc.Float(-1)),
		function("POW", doc.Float(2), doc.Float(3)),
		function("ATAN2", doc.Float(2), doc.Float(3)),
		function("STARTS_WITH", doc.KeywordOf("abc"), doc.KeywordOf("a")),
	}
	for _, c := range calls {
		types := make([]doc.Type, len(c.args))
		for i, a := range c.args {
			types[i] = a.T
		}
		ev := c.eval(t, types)
		for mv := range c.args {
			for null := range c.args {
				if mv == null {
					continue
				}
				args := append([]doc.Value(nil), c.args...)
				args[mv], args[null] = multi(args[mv]), doc.Value{}
				got, err := ev(args)
				var want error
				if mv < null {
					want = ErrMultiValue
				}
				if err != want || !got.IsNull() {
					t.Errorf("%s(%v) = %v, %v; want null, %v", c.name, args, got, err, want)
				}
			}
		}
	}
}

// BenchmarkBinaryAdd is the per-row cost of an operator on single values:
// the argument check and the arithmetic.
func BenchmarkBinaryAdd(b *testing.B) {
	_, ev, err := Binary(Add, doc.Long, doc.Long)
	if err != nil {
		b.Fatal(err)
	}
	args := []doc.Value{doc.Long64(1), doc.Long64(2)}
	for b.Loop() {
		if _, err := ev(args); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcat is the variadic path (strictN).
func BenchmarkConcat(b *testing.B) {
	f, _ := Lookup("CONCAT")
	_, ev, err := f.Resolve([]doc.Type{doc.Keyword, doc.Keyword, doc.Keyword}, make([]*doc.Value, 3))
	if err != nil {
		b.Fatal(err)
	}
	args := []doc.Value{doc.KeywordOf("a"), doc.KeywordOf("b"), doc.KeywordOf("c")}
	for b.Loop() {
		if _, err := ev(args); err != nil {
			b.Fatal(err)
		}
	}
}
