package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"vigil/internal/esql"
)

// memoryLimit is the --memory-limit flag: a byte size with an optional
// binary or decimal unit ("1GiB", "512MiB", "2G", "800M"), or "none".
type memoryLimit int64

func (m *memoryLimit) String() string {
	switch {
	case *m < 0:
		return "none"
	case *m == 0:
		return esql.FormatBytes(esql.DefaultMemoryLimit)
	}
	return esql.FormatBytes(int64(*m))
}

func (m *memoryLimit) Type() string { return "size" }

func (m *memoryLimit) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*m = memoryLimit(n)
	return nil
}

// registerMemoryLimit adds --memory-limit to a command's flags.
func registerMemoryLimit(f *pflag.FlagSet, m *memoryLimit) {
	f.Var(m, "memory-limit", `memory each rule's (query's) STATS, INLINE STATS, SORT and LIMIT may hold, e.g. 512MiB or 2GiB ("none": unbounded); a rule that needs more is stopped with a message naming it and the command, the other rules still run, and the exit status is 5`)
}

// parseByteSize reads "1GiB", "512MiB", "64KiB", "2G", "800M", "1048576".
func parseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "none") {
		return -1, nil
	}
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult := map[string]int64{"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q: want a positive size such as 512MiB or 2GiB, or none", s)
	}
	return n * mult, nil
}
