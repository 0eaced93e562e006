package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// maxResourceBytes and maxResources bound what shippers' installs may
// make Vigil remember.
const (
	maxResourceBytes = 1 << 20
	maxResources     = 1024
)

// resources are the index templates, ILM policies, ingest pipelines and
// data streams shippers install at start-up. Vigil does not apply them; it
// acknowledges a PUT and remembers the body (in memory) so a later GET or
// HEAD finds it, and answers a missing one as Elasticsearch does (404), so
// a shipper's "check, then install" flow runs as against Elasticsearch.
type resources struct {
	mu sync.Mutex
	m  map[string]json.RawMessage // path → body
}

// kind of a resource path: its API prefix and name.
func resourceKind(p string) (prefix, name string) {
	for _, pre := range []string{"/_index_template/", "/_component_template/", "/_template/", "/_ilm/policy/", "/_ingest/pipeline/", "/_data_stream/"} {
		if strings.HasPrefix(p, pre) {
			return pre, strings.TrimPrefix(p, pre)
		}
	}
	return "", ""
}

func (rs *resources) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	p := r.URL.Path
	prefix, name := resourceKind(p)
	rs.mu.Lock()
	if rs.m == nil {
		rs.m = map[string]json.RawMessage{}
	}
	got, ok := rs.m[p]
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		if !json.Valid(body) || len(body) > maxResourceBytes {
			body = []byte("{}") // acknowledged all the same: Vigil applies none
		}
		if _, known := rs.m[p]; known || len(rs.m) < maxResources {
			rs.m[p] = json.RawMessage(body)
		}
	case http.MethodDelete:
		delete(rs.m, p)
	}
	rs.mu.Unlock()
	switch r.Method {
	case http.MethodHead:
		if ok {
			w.WriteHeader(200)
		} else {
			w.WriteHeader(404)
		}
	case http.MethodGet:
		if !ok {
			missingResource(w, prefix, name)
			return
		}
		switch prefix {
		case "/_index_template/":
			writeJSON(w, 200, map[string]any{"index_templates": []any{map[string]any{"name": name, "index_template": got}}})
		case "/_component_template/":
			writeJSON(w, 200, map[string]any{"component_templates": []any{map[string]any{"name": name, "component_template": got}}})
		case "/_ilm/policy/":
			writeJSON(w, 200, map[string]any{name: map[string]any{"version": 1, "modified_date": "2026-01-01T00:00:00.000Z", "policy": policyOf(got)}})
		case "/_data_stream/":
			writeJSON(w, 200, map[string]any{"data_streams": []any{map[string]any{"name": name, "status": "GREEN"}}})
		default: // legacy templates and ingest pipelines: {name: body}
			writeJSON(w, 200, map[string]any{name: got})
		}
	case http.MethodDelete:
		if !ok {
			missingResource(w, prefix, name)
			return
		}
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	default:
		writeJSON(w, 200, map[string]any{"acknowledged": true})
	}
}

// policyOf is the "policy" member of an ILM PUT body.
func policyOf(b json.RawMessage) json.RawMessage {
	var m struct {
		Policy json.RawMessage `json:"policy"`
	}
	if json.Unmarshal(b, &m) == nil && m.Policy != nil {
		return m.Policy
	}
	return json.RawMessage("{}")
}

// missingResource is Elasticsearch's 404 for each API: an error for
// composable and component templates, ILM policies and data streams; an
// empty object for legacy templates and ingest pipelines.
func missingResource(w http.ResponseWriter, prefix, name string) {
	switch prefix {
	case "/_index_template/":
		esError(w, 404, "resource_not_found_exception", "index template matching ["+name+"] not found")
	case "/_component_template/":
		esError(w, 404, "resource_not_found_exception", "component template matching ["+name+"] not found")
	case "/_ilm/policy/":
		esError(w, 404, "resource_not_found_exception", "Lifecycle policy not found: "+name)
	case "/_data_stream/":
		esError(w, 404, "index_not_found_exception", "no such index ["+name+"]")
	default:
		writeJSON(w, 404, map[string]any{})
	}
}
