package javaregex

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Regex is a compiled java.util.regex pattern.
type Regex struct {
	re    *regexp.Regexp
	names []string // per capturing group
}

// Compile translates and compiles a Java regular expression. Errors are
// *Error; one RE2 rejects after translation is reported at 1:1.
func Compile(pattern string) (*Regex, error) {
	g, names, err := Translate(pattern, Java)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(g)
	if err != nil {
		return nil, &Error{Line: 1, Col: 1, Msg: err.Error(), Pattern: pattern}
	}
	return &Regex{re: re, names: names}, nil
}

// Regexp exposes the compiled RE2 program (its groups are unnamed).
func (r *Regex) Regexp() *regexp.Regexp { return r.re }

// group returns the number of the group with the given name, or -1.
func (r *Regex) group(name string) int {
	for i, n := range r.names {
		if n == name {
			return i + 1
		}
	}
	return -1
}

// ReplaceAll replaces every match as Java's Matcher.replaceAll does: "$n" and
// "${name}" insert groups (an unmatched group inserts nothing), a backslash
// quotes the next character. An error's text is the exception line Java
// throws, e.g. "java.lang.IndexOutOfBoundsException: No group 3".
func (r *Regex) ReplaceAll(s, repl string) (string, error) {
	matches := r.re.FindAllStringSubmatchIndex(s, -1)
	if matches == nil {
		return s, nil
	}
	literal := !strings.ContainsAny(repl, `$\`)
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, m := range matches {
		b.WriteString(s[last:m[0]])
		if literal {
			b.WriteString(repl)
		} else if err := r.expand(&b, s, repl, m); err != nil {
			return "", err
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

func (r *Regex) expand(b *strings.Builder, s, repl string, m []int) error {
	groups := len(r.names)
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return errors.New("java.lang.IllegalArgumentException: character to be escaped is missing")
			}
			b.WriteByte(repl[i])
		case '$':
			i++
			if i >= len(repl) {
				return errors.New("java.lang.IllegalArgumentException: Illegal group reference: group index is missing")
			}
			g := -1
			if repl[i] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return errors.New("java.lang.IllegalArgumentException: named capturing group is missing trailing '}'")
				}
				name := repl[i+1 : i+end]
				if g = r.group(name); g < 0 {
					return errors.New("java.lang.IllegalArgumentException: No group with name {" + name + "}")
				}
				i += end
			} else {
				if repl[i] < '0' || repl[i] > '9' {
					return errors.New("java.lang.IllegalArgumentException: Illegal group reference")
				}
				g = int(repl[i] - '0')
				if g > groups {
					return errors.New("java.lang.IndexOutOfBoundsException: No group " + strconv.Itoa(g))
				}
				// Java keeps taking digits while the group number stays valid.
				for i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9' {
					ng := g*10 + int(repl[i+1]-'0')
					if ng > groups {
						break
					}
					g = ng
					i++
				}
			}
			if m[2*g] >= 0 {
				b.WriteString(s[m[2*g]:m[2*g+1]])
			}
		default:
			b.WriteByte(c)
		}
	}
	return nil
}
