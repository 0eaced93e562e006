package prefilter

// Literals lists a filter's literals: rules, their clauses, each clause's
// alternatives (lower-cased), for tests restating Match.
func Literals(f *Filter) [][][]string {
	var out [][][]string
	for _, cnf := range f.alts {
		var cs [][]string
		for _, c := range cnf {
			var lits []string
			for _, a := range c {
				lits = append(lits, string(a.lit))
			}
			cs = append(cs, lits)
		}
		out = append(out, cs)
	}
	return out
}
