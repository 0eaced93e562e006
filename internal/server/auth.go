package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// authorized checks the request's credentials against the token. Accepted:
// "Bearer <token>", "ApiKey <token>" or Elasticsearch's
// "ApiKey base64(id:<token>)", and "Basic base64(user:<token>)" for
// shippers that only speak username/password. Comparison is of SHA-256
// digests in constant time, so neither length nor prefix leaks.
func (s *Server) authorized(r *http.Request) bool {
	if s.token == nil {
		return true
	}
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok {
		return false
	}
	cred = strings.TrimSpace(cred)
	var candidates []string
	switch strings.ToLower(scheme) {
	case "bearer":
		candidates = []string{cred}
	case "apikey":
		candidates = []string{cred}
		if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
			if _, key, ok := strings.Cut(string(dec), ":"); ok {
				candidates = append(candidates, key)
			}
		}
	case "basic":
		if dec, err := base64.StdEncoding.DecodeString(cred); err == nil {
			if _, pw, ok := strings.Cut(string(dec), ":"); ok {
				candidates = []string{pw}
			}
		}
	}
	good := 0
	for _, c := range candidates {
		sum := sha256.Sum256([]byte(c))
		good |= subtle.ConstantTimeCompare(sum[:], s.token)
	}
	return good == 1
}

func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch") // official clients refuse servers without it
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil", ApiKey, Basic realm="vigil"`)
			esError(w, http.StatusUnauthorized, "security_exception", "missing or invalid authentication credentials")
			return
		}
		next.ServeHTTP(w, r)
	})
}
