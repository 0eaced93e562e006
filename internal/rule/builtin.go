package rule

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed builtin/*.toml
var builtinFS embed.FS

// Builtin returns the rules shipped inside the binary, parsed fresh on each
// call so callers may not share (and mutate) one copy.
func Builtin() []*Rule {
	entries, err := builtinFS.ReadDir("builtin")
	if err != nil {
		panic("rule: embedded rules unreadable: " + err.Error())
	}
	var out []*Rule
	for _, e := range entries {
		if IsTestFile(e.Name()) {
			continue
		}
		data, err := builtinFS.ReadFile("builtin/" + e.Name())
		if err != nil {
			panic("rule: embedded rule unreadable: " + err.Error())
		}
		r, err := Parse(data, "builtin:"+e.Name())
		if err != nil {
			panic("rule: embedded rule invalid: " + err.Error()) // caught by TestBuiltin
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SeedRuleID is the rule_id of the built-in "Suspicious Python Shell Command Execution".
const SeedRuleID = "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41"

// TestFileSuffix names rule test files (internal/ruletest), which may sit
// next to rules: rule loading skips them.
const TestFileSuffix = "_test.toml"

// IsTestFile reports whether a file name is a rule test file's.
func IsTestFile(name string) bool { return strings.HasSuffix(name, TestFileSuffix) }

// BuiltinTests returns the folder of the built-in rules' tests (the
// *_test.toml files shipped beside them).
func BuiltinTests() fs.FS {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		panic("rule: embedded rules unreadable: " + err.Error())
	}
	return sub
}
