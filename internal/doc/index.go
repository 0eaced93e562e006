package doc

import "strings"

// SplitIndexPatterns splits a FROM / index list ("a,b*, -c") into trimmed,
// non-empty patterns.
func SplitIndexPatterns(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// MatchIndex reports whether a concrete index (or data stream) name is
// selected by a list of index patterns, resolved as Elasticsearch does:
//
//   - patterns apply in order; "*" matches any run of characters; "_all" is "*";
//   - "-pattern" removes earlier matches, but only once a wildcard pattern has
//     been seen (before that Elasticsearch reads it as a literal name, and no
//     index name can start with '-');
//   - a wildcard does not match a hidden name (leading '.') unless the pattern
//     itself starts with '.';
//   - a data stream's backing index ".ds-NAME-yyyy.MM.dd-nnnnnn" is selected
//     by patterns that select NAME;
//   - "cluster:index" remote patterns never match: Vigil has no remote clusters;
//   - the "::data" selector is the default and is ignored; "::failures" (the
//     failure store) never matches, as Vigil keeps none.
func MatchIndex(patterns []string, index string) bool {
	stream := dataStreamOf(index)
	matched := false
	wildcardSeen := false
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		exclude := false
		if strings.HasPrefix(p, "-") && wildcardSeen {
			exclude = true
			p = p[1:]
		}
		if strings.Contains(p, "*") {
			wildcardSeen = true
		}
		if p == "_all" {
			p = "*"
		}
		base, sel, hasSel := strings.Cut(p, "::")
		if hasSel && sel != "data" {
			continue
		}
		if strings.Contains(base, ":") {
			continue // remote cluster
		}
		hit := matchName(base, index) || (stream != "" && matchName(base, stream))
		if !hit {
			continue
		}
		matched = !exclude
	}
	return matched
}

func matchName(pattern, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") && strings.Contains(pattern, "*") {
		return false
	}
	return wildcardMatch(pattern, name)
}

// wildcardMatch matches '*' (any run, possibly empty); other bytes literally.
func wildcardMatch(p, s string) bool {
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case i < len(p) && p[i] == s[j]:
			i++
			j++
		case star >= 0:
			mark++
			i, j = star+1, mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// dataStreamOf returns NAME for a backing index ".ds-NAME-yyyy.MM.dd-nnnnnn"
// (or ".ds-NAME-nnnnnn" from older versions), else "".
func dataStreamOf(index string) string {
	rest, ok := strings.CutPrefix(index, ".ds-")
	if !ok {
		return ""
	}
	// Strip the generation.
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 || !allDigits(rest[i+1:]) {
		return ""
	}
	rest = rest[:i]
	// Strip the date if present.
	if j := strings.LastIndexByte(rest, '-'); j > 0 {
		d := rest[j+1:]
		if len(d) == 10 && d[4] == '.' && d[7] == '.' && allDigits(d[:4]+d[5:7]+d[8:]) {
			rest = rest[:j]
		}
	}
	return rest
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
