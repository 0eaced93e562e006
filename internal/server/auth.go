package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"vigil/internal/config"
)

// credential is an accepted token's digest and the user it names ("" =
// unnamed).
type credential struct {
	sum  [sha256.Size]byte
	user string
}

// credentials are the configured tokens; nil: no auth.
func credentials(a config.Auth) []credential {
	var out []credential
	if a.Token != "" {
		out = append(out, credential{sha256.Sum256([]byte(a.Token)), a.User})
	}
	for _, u := range a.Users {
		out = append(out, credential{sha256.Sum256([]byte(u.Token)), u.Name})
	}
	return out
}

// authorized checks the request's credentials against the tokens and
// returns the matching token's user. Accepted: "Bearer <token>", "ApiKey
// <token>" or Elasticsearch's "ApiKey base64(id:<token>)", and "Basic
// base64(user:<token>)" for shippers that only speak username/password.
// Comparison is of SHA-256 digests in constant time, every token compared,
// so neither length, prefix nor which token matched leaks.
func (s *Server) authorized(r *http.Request) (user string, ok bool) {
	if s.creds == nil {
		return "", true
	}
	h := r.Header.Get("Authorization")
	scheme, cred, found := strings.Cut(h, " ")
	if !found {
		return "", false
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
	for _, c := range candidates {
		sum := sha256.Sum256([]byte(c))
		for _, k := range s.creds {
			if subtle.ConstantTimeCompare(sum[:], k.sum[:]) == 1 {
				user, ok = k.user, true
			}
		}
	}
	return user, ok
}

type userKey struct{}

// userOf is the user the request's token names ("" = unnamed).
func userOf(r *http.Request) string {
	u, _ := r.Context().Value(userKey{}).(string)
	return u
}

func (s *Server) withAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch") // official clients refuse servers without it
		user, ok := s.authorized(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil", ApiKey, Basic realm="vigil"`)
			esError(w, http.StatusUnauthorized, "security_exception", "missing or invalid authentication credentials")
			return
		}
		if user != "" {
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, user))
		}
		next.ServeHTTP(w, r)
	})
}
