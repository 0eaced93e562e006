package editdistance

import "testing"

// reference is the textbook full-table definition, no cutoff, no shortcut.
func reference(a, b []rune, transpose bool) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if transpose && i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b      string
		transpose bool
		want      int
	}{
		{"", "", true, 0}, {"abc", "abc", true, 0}, {"abc", "abd", true, 1}, {"abc", "acb", true, 1},
		{"abc", "acb", false, 2}, {"abc", "", true, 3}, {"", "abc", false, 3},
		{"kitten", "sitting", true, 3}, {"kitten", "sitting", false, 3}, {"héllo", "hello", true, 1},
		{"ca", "abc", true, 3}, // optimal string alignment, not full Damerau
		{"flaw", "lawn", false, 2}, {"abcdef", "badcfe", true, 3}, {"abcdef", "badcfe", false, 4},
	} {
		a, b := []rune(tc.a), []rune(tc.b)
		if got := reference(a, b, tc.transpose); got != tc.want {
			t.Errorf("reference(%q, %q, %v) = %d, want %d", tc.a, tc.b, tc.transpose, got, tc.want)
		}
		if got := Bounded(a, b, tc.transpose, 10); got != tc.want {
			t.Errorf("Bounded(%q, %q, %v, 10) = %d, want %d", tc.a, tc.b, tc.transpose, got, tc.want)
		}
		for limit := range 4 {
			if got := Bounded(a, b, tc.transpose, limit); got != min(tc.want, limit+1) {
				t.Errorf("Bounded(%q, %q, %v, %d) = %d, want %d", tc.a, tc.b, tc.transpose, limit, got, min(tc.want, limit+1))
			}
		}
		if !tc.transpose {
			if got := Levenshtein(a, b); got != tc.want {
				t.Errorf("Levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := Levenshtein([]byte(tc.a), []byte(tc.b)); isASCII(tc.a+tc.b) && got != tc.want {
				t.Errorf("Levenshtein(bytes %q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		}
	}
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FuzzBounded checks the cutoff version against the full-table reference:
// Bounded must equal min(reference, limit+1) for every limit.
func FuzzBounded(f *testing.F) {
	f.Add("kitten", "sitting", true, uint8(1))
	f.Add("ca", "abc", true, uint8(2))
	f.Add("", "x", false, uint8(0))
	f.Fuzz(func(t *testing.T, sa, sb string, transpose bool, limit uint8) {
		a, b := []rune(sa), []rune(sb)
		if len(a) > 64 || len(b) > 64 {
			return
		}
		want := reference(a, b, transpose)
		if got := Bounded(a, b, transpose, int(limit%8)); got != min(want, int(limit%8)+1) {
			t.Fatalf("Bounded(%q, %q, %v, %d) = %d, reference %d", sa, sb, transpose, limit%8, got, want)
		}
		if !transpose {
			if got := Levenshtein(a, b); got != want {
				t.Fatalf("Levenshtein(%q, %q) = %d, reference %d", sa, sb, got, want)
			}
		}
	})
}
