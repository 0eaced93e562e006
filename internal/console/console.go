// Package console owns the web console `vigil serve` shows a browser: the
// alerts table, an alert's investigation (rule, guide, evidence, process
// tree, host timeline, workflow) and the rules page. It is static HTML, CSS
// and JavaScript modules embedded with go:embed — no build step, no CDN,
// works offline — served with a strict Content-Security-Policy. The page
// holds no data: it asks the token of the analyst, keeps it in
// sessionStorage and sends it in the Authorization header of every API
// call, so the API stays the only door to data and, with no cookie ever
// set, a cross-site request carries no credential (no CSRF). It imports
// nothing of Vigil: the server mounts it beside its API.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// Prefix is where the assets are served. A leading underscore is
// Elasticsearch's mark of an API path: no index can be named so.
const Prefix = "/_console/"

// CSP is the Content-Security-Policy of every console response: only the
// console's own scripts, styles and API; no inline code, no framing.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Wants reports whether the request is for the console: a browser's GET
// of / (its Accept names text/html; shippers' and Elastic clients' do not,
// and keep getting Elasticsearch's root JSON) or an asset under Prefix.
func Wants(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.URL.Path == "/" {
		return acceptsHTML(r.Header.Values("Accept"))
	}
	return strings.HasPrefix(r.URL.Path, Prefix)
}

// acceptsHTML reports whether an Accept header names text/html with a
// non-zero quality.
func acceptsHTML(values []string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			media, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(media), "text/html") {
				continue
			}
			q := true
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "q") && strings.Trim(strings.TrimSpace(val), "0.") == "" {
					q = false // q=0, q=0.0, q=0.000
				}
			}
			if q {
				return true
			}
		}
	}
	return false
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// Handler serves the console: / and Prefix give the page, Prefix+name its
// assets.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		if r.URL.Path == "/" || name == "" {
			name = "index.html"
		}
		if strings.HasPrefix(name, "/") || strings.Contains(name, "..") || !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			http.NotFound(w, r) // nothing else is embedded
			return
		}
		h.Set("Content-Type", ct)
		h.Set("Cache-Control", "no-cache")
		h.Set("Vary", "Accept")
		if r.Method == http.MethodHead {
			return
		}
		w.Write(b)
	})
}
