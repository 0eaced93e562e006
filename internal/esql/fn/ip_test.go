package fn

import (
	"testing"

	"vigil/internal/doc"
)

func TestIPFunctions(t *testing.T) {
	I := doc.Int
	ips := doc.Multi(doc.IP, []doc.Value{bIP("10.0.0.1"), bIP("8.8.8.8")})
	runB(t, []bCase{
		{name: "match v4", fn: "CIDR_MATCH", args: []doc.Value{bIP("192.168.1.5"), bKw("10.0.0.0/8"), bKw("192.168.0.0/16")}, consts: true, want: "true", checkT: true, wantT: doc.Boolean},
		{name: "no match", fn: "CIDR_MATCH", args: []doc.Value{bIP("172.32.0.1"), bKw("172.16.0.0/12")}, consts: true, want: "false"},
		{name: "bare v6", fn: "CIDR_MATCH", args: []doc.Value{bIP("::1"), bKw("127.0.0.0/8"), bKw("::1")}, consts: true, want: "true"},
		{name: "v6 block", fn: "CIDR_MATCH", args: []doc.Value{bIP("fe80::1"), bKw("FE80::/10")}, consts: true, want: "true"},
		{name: "v4 not in v6 block", fn: "CIDR_MATCH", args: []doc.Value{bIP("127.0.0.1"), bKw("FE80::/10")}, want: "false"},
		{name: "mapped v6 block", fn: "CIDR_MATCH", args: []doc.Value{bIP("10.1.2.3"), bKw("::ffff:10.0.0.0/104")}, want: "true"},
		{name: "null ip", fn: "CIDR_MATCH", args: []doc.Value{bNullV, bKw("10.0.0.0/8")}, want: "null"},
		{name: "null block", fn: "CIDR_MATCH", args: []doc.Value{bIP("10.0.0.1"), bNullV, bKw("10.0.0.0/8")}, want: "null"},
		{name: "mv ip is single-value", fn: "CIDR_MATCH", args: []doc.Value{ips, bKw("8.0.0.0/8")}, err: ErrMultiValue.Error()},
		{name: "mv block is single-value", fn: "CIDR_MATCH", args: []doc.Value{bIP("8.8.8.8"), bKws("10.0.0.0/8", "8.8.8.0/24")}, err: ErrMultiValue.Error()},
		{name: "bad block", fn: "CIDR_MATCH", args: []doc.Value{bIP("10.0.0.1"), bKw("10.0.0/8")}, err: "java.lang.IllegalArgumentException: '10.0.0' is not an IP string literal."},
		{name: "keyword ip", fn: "CIDR_MATCH", args: []doc.Value{bKw("10.0.0.1"), bKw("10.0.0.0/8")}, resErr: true},
		{name: "prefix v4", fn: "IP_PREFIX", args: []doc.Value{bIP("192.168.1.123"), I(24), I(112)}, want: "192.168.1.0", checkT: true, wantT: doc.IP},
		{name: "prefix v6", fn: "IP_PREFIX", args: []doc.Value{bIP("2001:db8::ff00:42:8329"), I(24), I(112)}, want: "2001:db8::ff00:42:0"},
		{name: "prefix bad", fn: "IP_PREFIX", args: []doc.Value{bIP("1.2.3.4"), I(33), I(0)}, err: "java.lang.IllegalArgumentException: Prefix length v4 must be in range [0, 32], found 33"},
	})
}
