package fn

import (
	"net/netip"
	"testing"

	"vigil/internal/doc"
)

// callCase is one call: argument values (their types are the resolve types
// unless types is set), the expected rendering or error.
type callCase struct {
	name    string
	fn      string
	args    []doc.Value
	types   []doc.Type // defaults to each arg's T
	consts  bool       // pass the args as constants to Resolve
	want    string     // Value.String() of the result
	wantT   doc.Type   // checked when not Null... unless checkT
	checkT  bool
	err     string // expected evaluation error text
	resErr  bool   // Resolve must fail
	resErrS string // and its text (when set)
}

func kwOf(s string) doc.Value { return doc.KeywordOf(s) }

// multiOf makes a value of type t from xs (a multi-value unless there is one).
func multiOf[X any](t doc.Type, of func(X) doc.Value, xs []X) doc.Value {
	vs := make([]doc.Value, len(xs))
	for i, x := range xs {
		vs[i] = of(x)
	}
	return doc.Multi(t, vs)
}

func kwsOf(ss ...string) doc.Value      { return multiOf(doc.Keyword, doc.KeywordOf, ss) }
func intsOf(is ...int32) doc.Value      { return multiOf(doc.Integer, doc.Int, is) }
func longsOf(is ...int64) doc.Value     { return multiOf(doc.Long, doc.Long64, is) }
func doublesOf(fs ...float64) doc.Value { return multiOf(doc.Double, doc.Float, fs) }
func ipOf(s string) doc.Value           { return doc.IPOf(netip.MustParseAddr(s)) }

var nullV = doc.Value{}

func runCalls(t *testing.T, cases []callCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, ok := Lookup(c.fn)
			if !ok {
				t.Fatalf("%s not registered", c.fn)
			}
			if len(c.args) < f.MinArgs || (f.MaxArgs >= 0 && len(c.args) > f.MaxArgs) {
				t.Fatalf("bad arity %d for %s", len(c.args), c.fn)
			}
			types := c.types
			if types == nil {
				types = make([]doc.Type, len(c.args))
				for i, a := range c.args {
					types[i] = a.T
				}
			}
			consts := make([]*doc.Value, len(c.args))
			if c.consts {
				for i := range c.args {
					v := c.args[i]
					consts[i] = &v
				}
			}
			rt, ev, err := f.Resolve(types, consts)
			if c.resErr {
				if err == nil {
					t.Fatalf("want resolve error, got type %s", rt)
				}
				if c.resErrS != "" && err.Error() != c.resErrS {
					t.Fatalf("resolve error %q, want %q", err, c.resErrS)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if c.checkT && rt != c.wantT {
				t.Errorf("type %s, want %s", rt, c.wantT)
			}
			got, err := ev(c.args)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("error %v, want %q (value %s)", err, c.err, got)
				}
				if !got.IsNull() {
					t.Errorf("failed evaluation returned %s", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			if got.String() != c.want {
				t.Errorf("got %s, want %s", got.String(), c.want)
			}
			if !got.IsNull() && rt != doc.Null && got.T != rt {
				t.Errorf("value type %s, resolved type %s", got.T, rt)
			}
		})
	}
}
