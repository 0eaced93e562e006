package grok

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"vigil/internal/doc"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern string
		input   string
		fields  []Field
		want    []string // rendered values; nil = no match
	}{
		{ // ES|QL GROK documentation example.
			`%{TIMESTAMP_ISO8601:date} %{IP:ip} %{EMAILADDRESS:email} %{NUMBER:num}`,
			"2023-01-23T12:15:00.000Z 127.0.0.1 some.email@foo.com 42",
			[]Field{{"date", doc.Keyword}, {"email", doc.Keyword}, {"ip", doc.Keyword}, {"num", doc.Keyword}},
			[]string{"2023-01-23T12:15:00.000Z", "some.email@foo.com", "127.0.0.1", "42"},
		},
		{
			`%{TIMESTAMP_ISO8601:date} %{IP:ip} %{EMAILADDRESS:email} %{NUMBER:num:int}`,
			"2023-01-23T12:15:00.000Z 127.0.0.1 some.email@foo.com 42",
			[]Field{{"date", doc.Keyword}, {"email", doc.Keyword}, {"ip", doc.Keyword}, {"num", doc.Integer}},
			[]string{"2023-01-23T12:15:00.000Z", "some.email@foo.com", "127.0.0.1", "42"},
		},
		{`%{NUMBER:f:float} %{NUMBER:d:double} %{NUMBER:l:long} %{WORD:b:boolean} %{WORD:s:string}`,
			"3.14 3.14 9000000000 TRUE x",
			[]Field{{"b", doc.Boolean}, {"d", doc.Double}, {"f", doc.Double}, {"l", doc.Long}, {"s", doc.Keyword}},
			[]string{"true", "3.14", "3.140000104904175", "9000000000", "x"}},
		{`%{NUMBER:n:int}`, "x 4.5 y", []Field{{"n", doc.Integer}}, []string{"null"}},
		// Unanchored search; a repeated name gives a multi-value.
		{`%{WORD:a} %{WORD:a}`, "--- hello world ---", []Field{{"a", doc.Keyword}}, []string{"[hello, world]"}},
		{`%{WORD:source.ip}`, "abc", []Field{{"source.ip", doc.Keyword}}, []string{"abc"}},
		{`(?<user>[a-z]+)@(?<domain>\S+)`, "mail bob@example.org now",
			[]Field{{"domain", doc.Keyword}, {"user", doc.Keyword}}, []string{"example.org", "bob"}},
		{`(?:%{INT:a}|%{WORD:b})`, "xyz", []Field{{"a", doc.Keyword}, {"b", doc.Keyword}}, []string{"null", "xyz"}},
		{`^%{INT:a}$`, "12 ", []Field{{"a", doc.Keyword}}, nil},
		// Java-only constructs translated.
		{`(?>a+)b++`, "aabb", nil, []string{}},
		{`%{FOO=\d+:x}`, "", nil, nil},
		{`%{UUID:id} %{MAC:mac}`, "123e4567-e89b-12d3-a456-426614174000 00:1A:2b:3c:4D:5e",
			[]Field{{"id", doc.Keyword}, {"mac", doc.Keyword}}, []string{"123e4567-e89b-12d3-a456-426614174000", "00:1A:2b:3c:4D:5e"}},
		{`%{IPV6:ip}`, "fe80::1%eth0", []Field{{"ip", doc.Keyword}}, []string{"fe80::1%eth0"}},
		{`%{QUOTEDSTRING:q} %{LOGLEVEL:lvl}`, `msg "a \"b\" c" WARN`, []Field{{"lvl", doc.Keyword}, {"q", doc.Keyword}}, []string{"WARN", `"a \"b\" c"`}},
		{`%{URI:u}`, "see https://user@example.com:8443/a/b?x=1&y=2 now", []Field{{"u", doc.Keyword}}, []string{"https://user@example.com:8443/a/b?x=1&y=2"}},
		{`%{HTTPDATE:t}`, "[10/Oct/2000:13:55:36 -0700]", []Field{{"t", doc.Keyword}}, []string{"10/Oct/2000:13:55:36 -0700"}},
		{`%{SYSLOGBASE} %{GREEDYDATA:message}`, "Mar  7 04:05:06 myhost sshd[1234]: Accepted password",
			[]Field{{"host.hostname", doc.Keyword}, {"log.syslog.facility.code", doc.Integer}, {"log.syslog.priority", doc.Integer},
				{"message", doc.Keyword}, {"process.name", doc.Keyword}, {"process.pid", doc.Integer}, {"timestamp", doc.Keyword}},
			[]string{"myhost", "null", "null", "Accepted password", "sshd", "1234", "Mar  7 04:05:06"}},
		{`%{COMBINEDAPACHELOG}`, `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08"`,
			[]Field{{"apache.access.user.identity", doc.Keyword}, {"http.request.method", doc.Keyword}, {"http.request.referrer", doc.Keyword},
				{"http.response.body.bytes", doc.Long}, {"http.response.status_code", doc.Integer}, {"http.version", doc.Keyword},
				{"source.address", doc.Keyword}, {"timestamp", doc.Keyword}, {"url.original", doc.Keyword},
				{"user.name", doc.Keyword}, {"user_agent.original", doc.Keyword}},
			[]string{"null", "GET", "http://www.example.com/start.html", "2326", "200", "1.0", "127.0.0.1",
				"10/Oct/2000:13:55:36 -0700", "/apache_pb.gif", "frank", "Mozilla/4.08"}},
	}
	// Patterns from the prebuilt ES|QL rules.
	tests = append(tests, []struct {
		pattern string
		input   string
		fields  []Field
		want    []string
	}{
		{`(?im)^[ \t]*CertificateTemplate[ \t]*:[ \t]*(?<Esql.attributes_certificate_template>[^\r\n]+)\r?$`,
			"Request\r\n  certificatetemplate : User\r\nNext: x",
			[]Field{{"Esql.attributes_certificate_template", doc.Keyword}}, []string{"User"}},
		{`%{DATA}/exec\?%{DATA:raw_commands}&(?:container|stdin|stdout|stderr)=%{GREEDYDATA}`,
			"/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&container=c&stdin=true",
			[]Field{{"raw_commands", doc.Keyword}}, []string{"command=sh&command=-c"}},
		{`^(?:%{URIPROTO:url_protocol_bare}://)?%{URIHOST:dest_host_bare}(?:/%{GREEDYDATA})?$`,
			"https://evil.example.com:8080/x",
			[]Field{{"dest_host_bare", doc.Keyword}, {"url_protocol_bare", doc.Keyword}}, []string{"evil.example.com:8080", "https"}},
		{`(?:[^.]+\.)+(?<parent_domain>[^.]+\.[^.]+)$`, "a.b.example.com",
			[]Field{{"parent_domain", doc.Keyword}}, []string{"example.com"}},
		// Ruby syntax: ^ and $ anchor lines; \h is a hex digit; (?m) lets . cross lines.
		{`^%{WORD:w}$`, "first\nsecond", []Field{{"w", doc.Keyword}}, []string{"first"}},
		{`x=(?<h>\h+)`, "x=Beef!", []Field{{"h", doc.Keyword}}, []string{"Beef"}},
		{`(?m)a(?<r>.+)z`, "a1\n2z", []Field{{"r", doc.Keyword}}, []string{"1\n2"}},
		{`a(?<r>.+)z`, "a1\n2z", []Field{{"r", doc.Keyword}}, nil},
		// Oniguruma: nested classes are unions, POSIX brackets, {,n} is {0,n},
		// a brace that is no bound is a literal, comments and (?'name') groups.
		{`(?<c>[a[bc]]+)`, "xcabz", []Field{{"c", doc.Keyword}}, []string{"cab"}},
		{`(?<c>[[:digit:]x]+)`, "a1x2b", []Field{{"c", doc.Keyword}}, []string{"1x2"}},
		{`(?<c>a{,2})`, "aaa", []Field{{"c", doc.Keyword}}, []string{"aa"}},
		{`(?<c>a{x}+)`, "a{x}}", []Field{{"c", doc.Keyword}}, []string{"a{x}}"}},
		{`(?#note)(?'q'b)`, "ab", []Field{{"q", doc.Keyword}}, []string{"b"}},
		// Plain groups do not capture: only named ones make columns.
		{`(a)(?<n>b)`, "ab", []Field{{"n", doc.Keyword}}, []string{"b"}},
	}...)
	for _, tc := range tests {
		p, err := Compile(tc.pattern)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.pattern, err)
			continue
		}
		if tc.fields != nil && !reflect.DeepEqual(p.Fields(), tc.fields) {
			t.Errorf("Compile(%q).Fields() = %v, want %v", tc.pattern, p.Fields(), tc.fields)
		}
		vals, ok := p.Match(tc.input)
		if ok != (tc.want != nil) {
			t.Errorf("Match(%q, %q) ok = %v, want %v (re %s)", tc.pattern, tc.input, ok, tc.want != nil, p.Regexp())
			continue
		}
		if !ok {
			continue
		}
		got := make([]string, len(vals))
		for i, v := range vals {
			got[i] = v.String()
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Match(%q, %q) = %q, want %q", tc.pattern, tc.input, got, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	lib := map[string]string{"A": `x%{B}`, "B": `y%{A}`, "SELF": `%{SELF}`, "BAD": `(?<=a)b`, "BAD2": `(a`}
	for _, tc := range []struct {
		pattern, msg string
		col          int
	}{
		{`ab %{NOPE:x}`, "Unable to find pattern [NOPE]", 4},
		{`%{A}`, "circular reference in pattern [A]", 1},
		{`z%{SELF}`, "circular reference in pattern [SELF]", 2},
		{`q %{BAD}`, "lookaround groups are not supported", 3},
		{`(?=x)`, "lookaround groups are not supported", 1},
		{`a(?<!b)`, "lookaround groups are not supported", 2},
		{`(a)\1`, "back-references are not supported", 4},
		{`(?<n>a)\k<n>`, "back-references are not supported", 8},
		{`[a-z&&[^x]]`, "intersection", 5},
		{`abc\`, "too short escape sequence", 4},
		{`(abc`, "Unclosed group", 1},
		{`ab)`, "Unmatched closing ')'", 3},
		{`x %{BAD2}`, "Unclosed group", 3},
		{`(?s)a`, "Unknown inline modifier", 3},
		{`a(?x) b`, "comments mode (?x) is not supported", 2},
	} {
		_, err := compile(tc.pattern, lib)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("compile(%q) error = %v, want *Error", tc.pattern, err)
			continue
		}
		if !strings.Contains(e.Msg, tc.msg) || e.Col != tc.col {
			t.Errorf("compile(%q) = %v, want %q at col %d", tc.pattern, e, tc.msg, tc.col)
		}
	}
}

func TestBuiltinsCompile(t *testing.T) {
	for name := range builtin {
		if _, err := Compile("%{" + name + ":x}"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzCompile(f *testing.F) {
	f.Add(`%{WORD:a} %{INT:b:int}`, "hello 42")
	f.Add(`(?<x>a+)(?>b)c*+`, "aabcc")
	f.Add(`%{COMBINEDAPACHELOG}`, `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "-"`)
	f.Add(`%{X=\d+:n:float}[[:alpha:]]`, "12a")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		vals, ok := p.Match(s)
		if ok && len(vals) != len(p.Fields()) {
			t.Fatalf("%d values for %d fields", len(vals), len(p.Fields()))
		}
	})
}
