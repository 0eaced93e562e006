package fn

// IP functions. Addresses are compared in Elasticsearch's 16-byte form, so an
// IPv4 block matches IPv4-mapped IPv6 addresses too (an IPv4 /n is the mapped
// /96+n).

import (
	"net/netip"
	"strconv"
	"strings"

	"vigil/internal/doc"
)

func init() {
	register(&Func{Name: "CIDR_MATCH", MinArgs: 2, MaxArgs: -1, Resolve: resolveCidrMatch})
	register(&Func{Name: "IP_PREFIX", MinArgs: 3, MaxArgs: 3, Resolve: resolveIPPrefix})
}

// ipParseBlock parses "addr/len" or a bare address (a one-address block) into
// a prefix over the 16-byte form.
func ipParseBlock(s string) (netip.Prefix, error) {
	addrPart, lenPart, hasLen := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addrPart)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, EvalError("java.lang.IllegalArgumentException: '" + addrPart + "' is not an IP string literal.")
	}
	bitsLen := a.BitLen()
	if hasLen {
		n, err := strconv.Atoi(lenPart)
		if err != nil || n < 0 || n > a.BitLen() {
			return netip.Prefix{}, EvalError("java.lang.IllegalArgumentException: Illegal prefix length [" + lenPart + "] in [" + s + "]")
		}
		bitsLen = n
	}
	if a.Is4() {
		bitsLen += 96
	}
	return netip.PrefixFrom(netip.AddrFrom16(a.As16()), bitsLen).Masked(), nil
}

func ipAddr16(v doc.Value) netip.Addr {
	var b [16]byte
	copy(b[:], v.S)
	return netip.AddrFrom16(b)
}

func resolveCidrMatch(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if !(args[0] == doc.Null || args[0] == doc.IP) {
		return 0, nil, &TypeError{Arg: 0, Expected: "ip", Found: args[0]}
	}
	for i := 1; i < len(args); i++ {
		if !stringOrNull(args[i]) {
			return 0, nil, &TypeError{Arg: i, Expected: "string", Found: args[i]}
		}
	}
	// Parse constant blocks once.
	pre := make([]netip.Prefix, len(args))
	preOK := make([]bool, len(args))
	for i := 1; i < len(args) && i < len(consts); i++ {
		if c := consts[i]; c != nil && c.T != doc.Null && c.M == nil {
			if p, err := ipParseBlock(c.S); err == nil {
				pre[i], preOK[i] = p, true
			}
		}
	}
	// CIDRMatch.process is a plain @Evaluator over one IP and one value per
	// block, so the generated evaluator's rules apply: a null argument gives
	// null, a multi-valued one null with the single-value warning (the
	// CIDR_MATCH reference example and ip.csv-spec cdirMatchMultipleArgs /
	// cidrMatchNullField). Blocks are tried in order and the first match wins.
	return doc.Boolean, strictN(func(a []doc.Value) (doc.Value, error) {
		ip := ipAddr16(a[0])
		for i := 1; i < len(a); i++ {
			p := pre[i]
			if !preOK[i] {
				var err error
				if p, err = ipParseBlock(a[i].S); err != nil {
					return doc.Value{}, err
				}
			}
			if p.Contains(ip) {
				return doc.Bool(true), nil
			}
		}
		return doc.Bool(false), nil
	}), nil
}

func resolveIPPrefix(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
	if !(args[0] == doc.Null || args[0] == doc.IP) {
		return 0, nil, &TypeError{Arg: 0, Expected: "ip", Found: args[0]}
	}
	for i := 1; i < 3; i++ {
		if !integerOrNull(args[i]) {
			return 0, nil, &TypeError{Arg: i, Expected: "integer", Found: args[i]}
		}
	}
	return doc.IP, strictN(func(a []doc.Value) (doc.Value, error) {
		v4, v6 := a[1].I, a[2].I
		if v4 < 0 || v4 > 32 {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Prefix length v4 must be in range [0, 32], found " + strconv.FormatInt(v4, 10))
		}
		if v6 < 0 || v6 > 128 {
			return doc.Value{}, EvalError("java.lang.IllegalArgumentException: Prefix length v6 must be in range [0, 128], found " + strconv.FormatInt(v6, 10))
		}
		ip := ipAddr16(a[0])
		n := int(v6)
		if ip.Is4In6() {
			n = 96 + int(v4)
		}
		p := netip.PrefixFrom(ip, n).Masked()
		return doc.IPOf(p.Addr()), nil
	}), nil
}
