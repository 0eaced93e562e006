package fn

import (
	"testing"

	"vigil/internal/doc"
)

func TestIPFunctions(t *testing.T) {
	I := doc.Int
	ips := doc.Multi(doc.IP, []doc.Value{ipOf("10.0.0.1"), ipOf("8.8.8.8")})
	runCalls(t, []callCase{
		{name: "match v4", fn: "CIDR_MATCH", args: []doc.Value{ipOf("192.168.1.5"), kwOf("10.0.0.0/8"), kwOf("192.168.0.0/16")}, consts: true, want: "true", checkT: true, wantT: doc.Boolean},
		{name: "no match", fn: "CIDR_MATCH", args: []doc.Value{ipOf("172.32.0.1"), kwOf("172.16.0.0/12")}, consts: true, want: "false"},
		{name: "bare v6", fn: "CIDR_MATCH", args: []doc.Value{ipOf("::1"), kwOf("127.0.0.0/8"), kwOf("::1")}, consts: true, want: "true"},
		{name: "v6 block", fn: "CIDR_MATCH", args: []doc.Value{ipOf("fe80::1"), kwOf("FE80::/10")}, consts: true, want: "true"},
		{name: "v4 not in v6 block", fn: "CIDR_MATCH", args: []doc.Value{ipOf("127.0.0.1"), kwOf("FE80::/10")}, want: "false"},
		{name: "mapped v6 block", fn: "CIDR_MATCH", args: []doc.Value{ipOf("10.1.2.3"), kwOf("::ffff:10.0.0.0/104")}, want: "true"},
		{name: "null ip", fn: "CIDR_MATCH", args: []doc.Value{nullV, kwOf("10.0.0.0/8")}, want: "null"},
		{name: "null block", fn: "CIDR_MATCH", args: []doc.Value{ipOf("10.0.0.1"), nullV, kwOf("10.0.0.0/8")}, want: "null"},
		{name: "mv ip is single-value", fn: "CIDR_MATCH", args: []doc.Value{ips, kwOf("8.0.0.0/8")}, err: ErrMultiValue.Error()},
		{name: "mv block is single-value", fn: "CIDR_MATCH", args: []doc.Value{ipOf("8.8.8.8"), kwsOf("10.0.0.0/8", "8.8.8.0/24")}, err: ErrMultiValue.Error()},
		{name: "bad block", fn: "CIDR_MATCH", args: []doc.Value{ipOf("10.0.0.1"), kwOf("10.0.0/8")}, err: "java.lang.IllegalArgumentException: '10.0.0' is not an IP string literal."},
		{name: "keyword ip", fn: "CIDR_MATCH", args: []doc.Value{kwOf("10.0.0.1"), kwOf("10.0.0.0/8")}, resErr: true},
		{name: "prefix v4", fn: "IP_PREFIX", args: []doc.Value{ipOf("192.168.1.123"), I(24), I(112)}, want: "192.168.1.0", checkT: true, wantT: doc.IP},
		{name: "prefix v6", fn: "IP_PREFIX", args: []doc.Value{ipOf("2001:db8::ff00:42:8329"), I(24), I(112)}, want: "2001:db8::ff00:42:0"},
		{name: "prefix bad", fn: "IP_PREFIX", args: []doc.Value{ipOf("1.2.3.4"), I(33), I(0)}, err: "java.lang.IllegalArgumentException: Prefix length v4 must be in range [0, 32], found 33"},
	})
}
