package fn

import (
	"net/netip"
	"testing"

	"vigil/internal/doc"
)

// bCase is one call: argument values (their types are the resolve types
// unless types is set), the expected rendering or error.
type bCase struct {
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

func bKw(s string) doc.Value { return doc.KeywordOf(s) }
func bKws(ss ...string) doc.Value {
	vs := make([]doc.Value, len(ss))
	for i, s := range ss {
		vs[i] = doc.KeywordOf(s)
	}
	return doc.Multi(doc.Keyword, vs)
}
func bInts(is ...int32) doc.Value {
	vs := make([]doc.Value, len(is))
	for i, x := range is {
		vs[i] = doc.Int(x)
	}
	return doc.Multi(doc.Integer, vs)
}
func bLongs(is ...int64) doc.Value {
	vs := make([]doc.Value, len(is))
	for i, x := range is {
		vs[i] = doc.Long64(x)
	}
	return doc.Multi(doc.Long, vs)
}
func bDbls(fs ...float64) doc.Value {
	vs := make([]doc.Value, len(fs))
	for i, x := range fs {
		vs[i] = doc.Float(x)
	}
	return doc.Multi(doc.Double, vs)
}
func bIP(s string) doc.Value { return doc.IPOf(netip.MustParseAddr(s)) }

var bNullV = doc.Value{}

func runB(t *testing.T, cases []bCase) {
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
