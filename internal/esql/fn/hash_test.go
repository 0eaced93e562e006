package fn

import (
	"testing"

	"vigil/internal/doc"
)

func TestHashFunctions(t *testing.T) {
	runCalls(t, []callCase{
		{name: "md5", fn: "MD5", args: []doc.Value{kwOf("hello")}, want: "5d41402abc4b2a76b9719d911017c592", checkT: true, wantT: doc.Keyword},
		{name: "sha1", fn: "SHA1", args: []doc.Value{kwOf("hello")}, want: "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"},
		{name: "sha256", fn: "SHA256", args: []doc.Value{kwOf("hello")}, want: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
		{name: "hash", fn: "HASH", args: []doc.Value{kwOf("sha-256"), kwOf("hello")}, consts: true, want: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
		{name: "hash alias", fn: "HASH", args: []doc.Value{kwOf("SHA1"), kwOf("hello")}, want: "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"},
		{name: "hash unknown const", fn: "HASH", args: []doc.Value{kwOf("foo"), kwOf("hello")}, consts: true, resErr: true, resErrS: "invalid algorithm for [HASH]: foo MessageDigest not available"},
		{name: "hash unknown row", fn: "HASH", args: []doc.Value{kwOf("foo"), kwOf("hello")}, err: "java.security.NoSuchAlgorithmException: foo MessageDigest not available"},
		{name: "md5 null", fn: "MD5", args: []doc.Value{nullV}, want: "null"},
		{name: "md5 mv", fn: "MD5", args: []doc.Value{kwsOf("a", "b")}, err: ErrMultiValue.Error()},
		{name: "md5 int", fn: "MD5", args: []doc.Value{doc.Int(1)}, resErr: true},
	})
}
