package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"vigil/internal/console"
	"vigil/internal/doc"
	"vigil/internal/rule"
	"vigil/internal/store"
)

// Handler is the service's HTTP API, every endpoint behind auth, and the
// web console (internal/console) for browsers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.root)
	for pattern, h := range s.opts.Routes {
		mux.Handle(pattern, h)
	}
	mux.HandleFunc("POST /_bulk", s.bulk)
	mux.HandleFunc("PUT /_bulk", s.bulk)
	mux.HandleFunc("POST /{index}/_bulk", s.bulk)
	mux.HandleFunc("PUT /{index}/_bulk", s.bulk)
	mux.HandleFunc("POST /api/events", s.events)
	mux.HandleFunc("GET /api/alerts", s.listAlerts)
	mux.HandleFunc("GET /api/alerts/stream", s.stream)
	mux.HandleFunc("GET /api/alerts/{id}", s.getAlert)
	mux.HandleFunc("POST /api/alerts/{id}/status", s.setStatus)
	mux.HandleFunc("POST /api/alerts/_status", s.bulkStatus)
	mux.HandleFunc("GET /api/alerts/{id}/events", s.alertEvents)
	mux.HandleFunc("GET /api/alerts/{id}/tree", s.alertTree)
	mux.HandleFunc("GET /api/alerts/{id}/timeline", s.timeline)
	mux.HandleFunc("GET /api/processes/{entity_id}", s.process)
	mux.HandleFunc("GET /api/rules", s.listRules)
	mux.HandleFunc("GET /api/rules/{id}", s.getRule)
	mux.HandleFunc("GET /api/exceptions", s.listExceptions)
	mux.HandleFunc("POST /api/exceptions/items", s.addException)
	mux.HandleFunc("DELETE /api/exceptions/items/{item_id}", s.deleteException)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("/", s.probe)
	api := s.withAuth(mux)
	ui := console.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// The console's page and assets hold no data and are served without
		// credentials: the analyst enters the token in the page, which sends
		// it with each API call. Everything else (GET / without text/html:
		// shippers and Elastic clients) is the API.
		if console.Wants(r) {
			ui.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// esVersion is the Elasticsearch version Vigil answers as: shippers pick
// their request format by it (8.x: no types, data streams).
const esVersion = "8.19.7"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// esError writes Elasticsearch's error shape.
func esError(w http.ResponseWriter, status int, typ, reason string) {
	cause := map[string]any{"type": typ, "reason": reason}
	writeJSON(w, status, map[string]any{"error": map[string]any{"root_cause": []any{cause}, "type": typ, "reason": reason}, "status": status})
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name": "vigil", "cluster_name": "vigil", "cluster_uuid": "vigil-detection-service",
		"version": map[string]any{
			"number": esVersion, "build_flavor": "default", "build_type": "vigil", "build_hash": "vigil-" + s.opts.Version,
			"build_date": "2026-01-01T00:00:00.000Z", "build_snapshot": false, "lucene_version": "9.12.2",
			"minimum_wire_compatibility_version": "7.17.0", "minimum_index_compatibility_version": "7.0.0",
		},
		"tagline": "You Know, for Search",
	})
}

// probe answers what Beats, Logstash, Vector and Agent ask before they
// ship: licence and feature checks, cluster health, and template / ILM /
// pipeline installs, which are acknowledged (and reported present) so
// shippers proceed to _bulk unchanged.
func (s *Server) probe(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.Limits.BodyTimeout.Duration))
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResourceBytes+1))
	switch {
	case p == "/_license":
		writeJSON(w, 200, map[string]any{"license": map[string]any{"status": "active", "uid": "vigil", "type": "basic", "issue_date_in_millis": 0, "max_nodes": 1000, "issued_to": "vigil", "issuer": "vigil", "start_date_in_millis": -1}})
	case p == "/_xpack":
		writeJSON(w, 200, map[string]any{"build": map[string]any{}, "license": map[string]any{"status": "active", "type": "basic", "mode": "basic"}, "features": map[string]any{}})
	case p == "/_cluster/health" || strings.HasPrefix(p, "/_cluster/health/"):
		writeJSON(w, 200, map[string]any{"cluster_name": "vigil", "status": "green", "timed_out": false, "number_of_nodes": 1, "number_of_data_nodes": 1, "active_primary_shards": 0, "active_shards": 0, "unassigned_shards": 0})
	case p == "/_nodes" || strings.HasPrefix(p, "/_nodes/"):
		writeJSON(w, 200, map[string]any{"_nodes": map[string]any{"total": 1, "successful": 1, "failed": 0}, "cluster_name": "vigil",
			"nodes": map[string]any{"vigil": map[string]any{"name": "vigil", "version": esVersion, "roles": []string{"data", "ingest", "master"}, "http": map[string]any{"publish_address": r.Host}}}})
	case hasAnyPrefix(p, "/_index_template/", "/_template/", "/_component_template/", "/_ilm/policy/", "/_ingest/pipeline/", "/_data_stream/"):
		s.resources.serve(w, r, body)
	case strings.HasSuffix(p, "/_refresh") || p == "/_refresh":
		writeJSON(w, 200, map[string]any{"_shards": map[string]any{"total": 1, "successful": 1, "failed": 0}})
	case r.Method == http.MethodHead:
		w.WriteHeader(404)
	default:
		esError(w, 404, "resource_not_found_exception", "vigil does not serve ["+r.Method+" "+p+"]; it accepts _bulk ingest and its own /api")
	}
}

func hasAnyPrefix(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// bulk is Elasticsearch's _bulk for index and create actions.
func (s *Server) bulk(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, ch, ok := s.ingestBody(w, r)
	if !ok {
		return
	}
	defer ch.done()
	pathIndex := r.PathValue("index")
	dec := s.decs.Get().(*doc.Decoder)
	defer s.decs.Put(dec)
	skim := s.skims.Get().(*doc.Decoder)
	defer s.skims.Put(skim)
	var procs []procLine
	var times []sourceTime
	floor := s.floor.Load()
	skimmed := 0
	type item struct {
		op, index, id string
		status        int
		errType, msg  string
	}
	var items []item
	var docs []*doc.Document
	var raws [][]byte
	lines := ndjson{body: body}
	failed := 0
	for {
		line, ok := lines.next()
		if !ok {
			break
		}
		lineNo := lines.num
		a, err := parseAction(line, lineNo)
		if err != nil {
			esError(w, 400, "illegal_argument_exception", fmt.Sprintf("Malformed action/metadata line [%d]: %v", lineNo, err))
			return
		}
		it := item{op: a.Op, index: a.Index, id: a.ID}
		if it.index == "" {
			it.index = pathIndex
		}
		switch a.Op {
		case "index", "create":
		case "update", "delete":
			if a.Op == "update" {
				lines.next() // its partial document
			}
			it.status, it.errType, it.msg = 400, "illegal_argument_exception", "vigil accepts index and create actions only"
			items = append(items, it)
			failed++
			continue
		default:
			esError(w, 400, "illegal_argument_exception", fmt.Sprintf("Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", lineNo, a.Op))
			return
		}
		src, ok := lines.next()
		if !ok {
			esError(w, 400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]; action on line "+strconv.Itoa(lineNo)+" has no document")
			return
		}
		if it.id == "" {
			it.id = doc.AutoID(src) // the id a hunt over the same line gives it
		}
		if it.index == "" {
			it.status, it.errType, it.msg = 400, "action_request_validation_exception", "Validation Failed: 1: index is missing;"
			items = append(items, it)
			failed++
			continue
		}
		d, pass, err := s.decodeEvent(dec, skim, src)
		if err != nil {
			s.metrics.malformed.Inc()
			it.status, it.errType, it.msg = 400, "document_parsing_exception", "[1:"+decodeCol(err)+"] "+err.Error()
			items = append(items, it)
			failed++
			continue
		}
		if rf := s.admit(d, src, it.index, it.id, floor); rf != nil {
			it.status, it.errType, it.msg = rf.status, rf.errType, rf.msg
			items = append(items, it)
			failed++
			continue
		}
		procs = noteProcess(procs, src, it.index, it.id, keyDoc(d, pass))
		if !pass {
			times = noteTime(times, d)
			skimmed++
			it.status = 201
			items = append(items, it)
			continue
		}
		if !ch.add(docCost(src)) {
			s.metrics.rejected.Inc()
			ingestRefused(w, errInflightBytes, "")
			return
		}
		d.Index, d.ID, d.Version = it.index, it.id, 1
		docs = append(docs, d)
		raws = append(raws, src)
		it.status = 201
		items = append(items, it)
	}
	if len(items) == 0 { // Elasticsearch's answer to a body without actions
		esError(w, 400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
		return
	}
	if err := s.enqueue(docs, raws, times, floor, int64(len(body))); err != nil {
		ingestRefused(w, err, "unavailable_shards_exception")
		return
	}
	s.procs.put(procs)
	s.metrics.events.Add(float64(len(docs) + skimmed))
	// The response is written by hand: one small object per item.
	var b bytes.Buffer
	b.Grow(64 + len(items)*160)
	b.WriteString(`{"took":`)
	b.WriteString(strconv.FormatInt(time.Since(start).Milliseconds(), 10))
	b.WriteString(`,"errors":`)
	b.WriteString(strconv.FormatBool(failed > 0))
	b.WriteString(`,"items":[`)
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"`)
		b.WriteString(it.op)
		b.WriteString(`":{"_index":`)
		appendString(&b, it.index)
		b.WriteString(`,"_id":`)
		appendString(&b, it.id)
		if it.status < 300 {
			b.WriteString(`,"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":`)
			b.WriteString(strconv.FormatInt(s.seqNo.Add(1)-1, 10))
			b.WriteString(`,"_primary_term":1,"status":201}}`)
			continue
		}
		b.WriteString(`,"status":`)
		b.WriteString(strconv.Itoa(it.status))
		b.WriteString(`,"error":{"type":`)
		appendString(&b, it.errType)
		b.WriteString(`,"reason":`)
		appendString(&b, it.msg)
		b.WriteString(`}}}`)
	}
	b.WriteString("]}\n")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func decodeCol(err error) string {
	var de *doc.DecodeError
	if errors.As(err, &de) {
		return strconv.Itoa(de.Offset + 1)
	}
	return "1"
}

// appendString writes s as a JSON string.
func appendString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b.WriteByte(c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\r':
				b.WriteString(`\r`)
			default:
				fmt.Fprintf(b, `\u%04x`, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString(`\ufffd`)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
}

// events is POST /api/events: plain NDJSON, one event per line; the index
// comes from ?index=, else each event's data_stream.* fields, else the
// configured index.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	body, ch, ok := s.ingestBody(w, r)
	if !ok {
		return
	}
	defer ch.done()
	res, err := s.ingestLines(body, r.URL.Query().Get("index"), ch)
	if err != nil {
		ingestRefused(w, err, "unavailable")
		return
	}
	writeJSON(w, 200, res)
}

type ingestResult struct {
	Accepted  int      `json:"accepted"`
	Malformed int      `json:"malformed"`
	Refused   int      `json:"refused,omitempty"` // future-dated, or older than the late retention
	Errors    []string `json:"errors,omitempty"`  // the first few problems, line:col
}

// ingestRefused answers a batch enqueue refused: 429 with Retry-After when
// the queue or the in-flight budget is full, or the spool is replaying
// (shippers back off and resend), else 503 of errType.
func ingestRefused(w http.ResponseWriter, err error, errType string) {
	if errors.Is(err, errQueueFull) {
		w.Header().Set("Retry-After", "1")
		esError(w, http.StatusTooManyRequests, "es_rejected_execution_exception", err.Error())
		return
	}
	esError(w, http.StatusServiceUnavailable, errType, err.Error())
}

// ndjson walks a request body's non-blank lines; num is the 1-based number
// of the line last returned, blank lines counted.
type ndjson struct {
	body []byte
	num  int
}

func (n *ndjson) next() ([]byte, bool) {
	for len(n.body) > 0 {
		i := bytes.IndexByte(n.body, '\n')
		var line []byte
		if i < 0 {
			line, n.body = n.body, nil
		} else {
			line, n.body = n.body[:i], n.body[i+1:]
		}
		n.num++
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) > 0 {
			return line, true
		}
	}
	return nil, false
}

// decodeEvent decodes an event line with dec when a rule may use it (pass),
// else only checks it and reads its time with skim.
func (s *Server) decodeEvent(dec, skim *doc.Decoder, line []byte) (d *doc.Document, pass bool, err error) {
	if s.prefilter != nil && !s.prefilter.Match(line) {
		d, err = skim.Decode(line)
		return d, false, err
	}
	d, err = dec.Decode(line)
	return d, true, err
}

// ingestLines decodes NDJSON and enqueues it as one batch, charging ch
// (nil: internal inputs) for each event it decodes.
func (s *Server) ingestLines(body []byte, index string, ch *charge) (ingestResult, error) {
	var res ingestResult
	dec := s.decs.Get().(*doc.Decoder)
	defer s.decs.Put(dec)
	skim := s.skims.Get().(*doc.Decoder)
	defer s.skims.Put(skim)
	var times []sourceTime
	var procs []procLine
	floor := s.floor.Load()
	var docs []*doc.Document
	var raws [][]byte
	lines := ndjson{body: body}
	for {
		line, ok := lines.next()
		if !ok {
			break
		}
		d, pass, err := s.decodeEvent(dec, skim, line)
		if err != nil {
			res.Malformed++
			s.metrics.malformed.Inc()
			if len(res.Errors) < 10 {
				res.Errors = append(res.Errors, fmt.Sprintf("line %d:%s: %v", lines.num, decodeCol(err), err))
			}
			continue
		}
		if rf := s.admit(d, line, index, d.ID, floor); rf != nil {
			res.Refused++
			if len(res.Errors) < 10 {
				res.Errors = append(res.Errors, fmt.Sprintf("line %d: %s", lines.num, rf.msg))
			}
			continue
		}
		procs = noteProcess(procs, line, cmp.Or(index, d.Index), d.ID, keyDoc(d, pass))
		if !pass {
			times = noteTime(times, d)
			res.Accepted++
			continue
		}
		if index != "" {
			d.Index = index
		}
		if d.ID == "" {
			d.ID = doc.AutoID(line)
		}
		if !ch.add(docCost(line)) {
			return ingestResult{}, errInflightBytes
		}
		docs = append(docs, d)
		raws = append(raws, line)
	}
	if err := s.enqueue(docs, raws, times, floor, int64(len(body))); err != nil {
		res.Accepted = 0
		return res, err
	}
	s.procs.put(procs)
	res.Accepted += len(docs)
	s.metrics.events.Add(float64(res.Accepted))
	return res, nil
}

// healthz is 200 while the process serves: "recovering" while the spool
// replays after a restart (ingest answers 429 then), else "ok".
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	status := "ok"
	if s.recovering.Load() {
		status = "recovering"
	}
	writeJSON(w, 200, map[string]any{"status": status, "queue": len(s.queue), "queue_capacity": cap(s.queue),
		"queue_bytes": s.queued.Load(), "queue_bytes_limit": s.cfg.Limits.QueueBytes})
}

// alertJSON is a stored alert with its current workflow status.
func alertJSON(rec store.Record) json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(rec.Doc, &m); err != nil {
		return rec.Doc
	}
	st, _ := json.Marshal(rec.Status)
	m["kibana.alert.workflow_status"] = st
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(m)
	return bytes.TrimSpace(b.Bytes())
}

func parseTime(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("want RFC 3339 or epoch milliseconds, got %q", s)
	}
	return t.UnixMilli(), nil
}

// ruleSummary describes rule i: an ES|QL rule (Rules), then an EQL rule
// (EQLRules), in the order of the engine's stats; alerts counts each
// rule's stored alerts.
func (s *Server) ruleSummary(i int, full bool, alerts map[string]int) map[string]any {
	var r *rule.Rule
	var index []string
	var stages any // an ES|QL rule's plan
	if i < len(s.opts.Rules) {
		cr := s.opts.Rules[i]
		r, index, stages = cr.Rule, cr.Query.IndexPatterns(), cr.Query.Stages()
	} else {
		er := s.opts.EQLRules[i-len(s.opts.Rules)]
		r, index = er.Rule, er.Index()
	}
	m := map[string]any{
		"rule_id": r.RuleID, "name": r.Name, "severity": r.Severity, "risk_score": r.RiskScore,
		"interval": r.Interval.String(), "from": r.From, "max_signals": r.MaxSignals,
		"index": index, "tags": r.Tags, "version": r.Version, "type": r.Type, "language": r.Language,
	}
	var matched int64
	if st := s.stats.Load(); st != nil && i < len(*st) {
		x := (*st)[i]
		matched = x.Matched
		m["mode"], m["alerts_on_arrival"], m["open_windows"], m["live_groups"], m["late_events"], m["refused_events"] =
			x.Mode.String(), x.Monotone, x.OpenRuns, x.Groups, x.Late, x.Overflow
		m["expired_events"], m["future_events"] = x.Expired, x.Future
	}
	for k, v := range s.activity.view(i, alerts[r.RuleID], matched) {
		m[k] = v
	}
	if full {
		m["description"], m["note"], m["query"], m["threat"], m["references"], m["author"], m["license"], m["false_positives"] =
			r.Description, r.Note, r.Query, r.Threat, r.References, r.Author, r.License, r.FalsePositives
		if stages != nil {
			m["stages"] = stages
		}
	}
	return m
}

// ruleID is rule i's rule_id (see ruleSummary).
func (s *Server) ruleID(i int) string {
	if i < len(s.opts.Rules) {
		return s.opts.Rules[i].Rule.RuleID
	}
	return s.opts.EQLRules[i-len(s.opts.Rules)].Rule.RuleID
}

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) {
	alerts, err := s.store.AlertCounts()
	if err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	n := len(s.opts.Rules) + len(s.opts.EQLRules)
	out := make([]map[string]any, 0, n)
	for i := range n {
		out = append(out, s.ruleSummary(i, false, alerts))
	}
	writeJSON(w, 200, map[string]any{"total": len(out), "rules": out})
}

func (s *Server) getRule(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	alerts, err := s.store.AlertCounts()
	if err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	for i := range len(s.opts.Rules) + len(s.opts.EQLRules) {
		if s.ruleID(i) == id {
			writeJSON(w, 200, s.ruleSummary(i, true, alerts))
			return
		}
	}
	esError(w, 404, "resource_not_found_exception", "no rule ["+id+"]")
}
