package fn

// Hash functions: MD5, SHA1, SHA256 and HASH(algorithm, input), each giving
// the lower-case hex digest as keyword. Algorithm names follow Java's
// MessageDigest (case-insensitive, with its aliases).

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"

	"vigil/internal/doc"
)

// hashAlgos maps upper-cased Java algorithm names and aliases to constructors.
var hashAlgos = map[string]func() hash.Hash{
	"MD5": md5.New, "SHA-1": sha1.New, "SHA1": sha1.New, "SHA": sha1.New,
	"SHA-224": sha256.New224, "SHA224": sha256.New224,
	"SHA-256": sha256.New, "SHA256": sha256.New,
	"SHA-384": sha512.New384, "SHA384": sha512.New384,
	"SHA-512": sha512.New, "SHA512": sha512.New,
	"SHA-512/224": sha512.New512_224, "SHA512/224": sha512.New512_224,
	"SHA-512/256": sha512.New512_256, "SHA512/256": sha512.New512_256,
	"SHA3-224": func() hash.Hash { return sha3.New224() }, "SHA3-256": func() hash.Hash { return sha3.New256() },
	"SHA3-384": func() hash.Hash { return sha3.New384() }, "SHA3-512": func() hash.Hash { return sha3.New512() },
}

func init() {
	hashFixed("MD5", md5.New)
	hashFixed("SHA1", sha1.New)
	hashFixed("SHA256", sha256.New)
	register(&Func{Name: "HASH", MinArgs: 2, MaxArgs: 2, Resolve: resolveHash})
}

func hashHex(h hash.Hash, s string) doc.Value {
	h.Write([]byte(s))
	var buf [64]byte
	sum := h.Sum(buf[:0])
	return doc.KeywordOf(hex.EncodeToString(sum))
}

func hashFixed(name string, mk func() hash.Hash) {
	register(&Func{Name: name, MinArgs: 1, MaxArgs: 1,
		Resolve: func(args []doc.Type, _ []*doc.Value) (doc.Type, Eval, error) {
			if err := checkStrings(args); err != nil {
				return 0, nil, err
			}
			return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
				return hashHex(mk(), a[0].S), nil
			}), nil
		}})
}

func hashNotAvailable(alg string) string { return alg + " MessageDigest not available" }

func resolveHash(args []doc.Type, consts []*doc.Value) (doc.Type, Eval, error) {
	if err := checkStrings(args); err != nil {
		return 0, nil, err
	}
	if len(consts) > 0 && consts[0] != nil && consts[0].T != doc.Null && consts[0].M == nil {
		alg := consts[0].S
		mk, ok := hashAlgos[strings.ToUpper(alg)]
		if !ok {
			return 0, nil, EvalError("invalid algorithm for [HASH]: " + hashNotAvailable(alg))
		}
		return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
			return hashHex(mk(), a[1].S), nil
		}), nil
	}
	return doc.Keyword, strictN(func(a []doc.Value) (doc.Value, error) {
		mk, ok := hashAlgos[strings.ToUpper(a[0].S)]
		if !ok {
			return doc.Value{}, EvalError("java.security.NoSuchAlgorithmException: " + hashNotAvailable(a[0].S))
		}
		return hashHex(mk(), a[1].S), nil
	}), nil
}
