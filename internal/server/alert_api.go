package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"vigil/internal/store"
)

// The alert API: the list (filters, free text, keyset pagination), one
// alert with its workflow history, and status changes (one alert or many)
// with a note and the token's user.

// maxBulkIDs bounds one bulk status change.
const maxBulkIDs = 1000

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.Filter{Status: q.Get("status"), Rule: q.Get("rule"), Host: q.Get("host"), Severity: q.Get("severity"), Q: q.Get("q")}
	var err error
	bad := func(key string, e error) bool {
		if e != nil {
			esError(w, 400, "illegal_argument_exception", key+": "+e.Error())
			return true
		}
		return false
	}
	if f.Status != "" && !store.ValidStatus(f.Status) {
		esError(w, 400, "illegal_argument_exception", "status: want open, acknowledged or closed")
		return
	}
	if f.From, err = parseTime(q.Get("from")); bad("from", err) {
		return
	}
	if f.To, err = parseTime(q.Get("to")); bad("to", err) {
		return
	}
	f.Size = 100
	if v := q.Get("size"); v != "" {
		if f.Size, err = strconv.Atoi(v); err != nil || f.Size < 1 || f.Size > 1000 {
			bad("size", errors.New("want 1 to 1000"))
			return
		}
	}
	page := 0 // offset paging, kept for existing clients; search_after is the fast way
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			bad("page", errors.New("want a positive integer"))
			return
		}
		f.Offset = (page - 1) * f.Size
	}
	if v := q.Get("search_after"); v != "" {
		if page != 0 {
			bad("search_after", errors.New("not with page"))
			return
		}
		c, err := store.ParseCursor(v)
		if bad("search_after", err) {
			return
		}
		f.After = &c
	}
	recs, total, next, err := s.store.List(f)
	if errors.Is(err, store.ErrFreeTextNUL) {
		esError(w, 400, "illegal_argument_exception", err.Error())
		return
	}
	if err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	alerts := make([]json.RawMessage, 0, len(recs))
	for _, rec := range recs {
		alerts = append(alerts, alertJSON(rec))
	}
	out := map[string]any{"total": total, "size": f.Size, "alerts": alerts, "next": nil}
	if next != nil {
		out["next"] = next.String()
	}
	if f.After == nil {
		out["page"] = max(page, 1)
	}
	writeJSON(w, 200, out)
}

// workflowJSON is an alert history entry as the API shows it.
type workflowJSON struct {
	Status string  `json:"status"`
	Note   string  `json:"note"`
	At     string  `json:"at"`
	By     *string `json:"by"`
}

// alertWithWorkflow is alertJSON plus the alert's "workflow" history.
func (s *Server) alertWithWorkflow(rec store.Record) (json.RawMessage, error) {
	hist, err := s.store.Workflow(rec.ID)
	if err != nil {
		return nil, err
	}
	wf := make([]workflowJSON, len(hist))
	for i, e := range hist {
		wf[i] = workflowJSON{e.Status, e.Note, fmtMillis(e.At), e.By}
	}
	b, err := json.Marshal(wf)
	if err != nil {
		return nil, err
	}
	doc := alertJSON(rec)
	if len(doc) < 2 || doc[len(doc)-1] != '}' {
		return doc, nil // not an object: stored as is
	}
	var out bytes.Buffer
	out.Write(doc[:len(doc)-1])
	if len(doc) > 2 {
		out.WriteByte(',')
	}
	out.WriteString(`"workflow":`)
	out.Write(b)
	out.WriteByte('}')
	return out.Bytes(), nil
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) {
	rec, err := s.store.Get(r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		esError(w, 404, "resource_not_found_exception", "no alert ["+r.PathValue("id")+"]")
		return
	} else if err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	doc, err := s.alertWithWorkflow(rec)
	if err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	writeJSON(w, 200, doc)
}

// statusRequest is a status change's body; IDs only in bulk.
type statusRequest struct {
	IDs    []string `json:"ids"`
	Status string   `json:"status"`
	Note   string   `json:"note"`
}

// readStatus reads and checks a status change body.
func (s *Server) readStatus(w http.ResponseWriter, r *http.Request, bulk bool) (statusRequest, bool) {
	var req statusRequest
	body, ch, ok := s.readBody(w, r)
	if !ok {
		return req, false
	}
	defer ch.done()
	want := `want {"status": "open" | "acknowledged" | "closed", "note": "optional"}`
	if bulk {
		want = `want {"ids": [...], "status": "open" | "acknowledged" | "closed", "note": "optional"}`
	}
	if err := json.Unmarshal(body, &req); err != nil || !store.ValidStatus(req.Status) {
		esError(w, 400, "illegal_argument_exception", want)
		return req, false
	}
	if len(req.Note) > store.MaxNoteBytes {
		esError(w, 400, "illegal_argument_exception", "note: longer than "+strconv.Itoa(store.MaxNoteBytes)+" bytes")
		return req, false
	}
	if bulk && (len(req.IDs) == 0 || len(req.IDs) > maxBulkIDs) {
		esError(w, 400, "illegal_argument_exception", "ids: want 1 to "+strconv.Itoa(maxBulkIDs)+" alert ids")
		return req, false
	}
	return req, true
}

// changeStatus applies a status change and publishes each changed alert
// (with its history) on the alert stream.
func (s *Server) changeStatus(r *http.Request, ids []string, req statusRequest) ([]json.RawMessage, []string, error) {
	recs, missing, err := s.store.ChangeStatus(ids, store.StatusChange{Status: req.Status, Note: req.Note, By: userOf(r), At: s.clock.Now().UnixMilli()})
	if err != nil {
		return nil, nil, err
	}
	docs := make([]json.RawMessage, 0, len(recs))
	for _, rec := range recs {
		doc, err := s.alertWithWorkflow(rec)
		if err != nil {
			return nil, nil, err
		}
		s.sse.publish("status", rec.Updated, doc)
		docs = append(docs, doc)
	}
	return docs, missing, nil
}

// setStatus is POST /api/alerts/{id}/status. Status changes are CSRF-safe:
// credentials travel only in the Authorization header, which a browser
// never attaches on its own (no cookies), and a JSON body.
func (s *Server) setStatus(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readStatus(w, r, false)
	if !ok {
		return
	}
	docs, _, err := s.changeStatus(r, []string{r.PathValue("id")}, req)
	if err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	if len(docs) == 0 {
		esError(w, 404, "resource_not_found_exception", "no alert ["+r.PathValue("id")+"]")
		return
	}
	writeJSON(w, 200, docs[0])
}

// bulkStatus is POST /api/alerts/_status: one change to many alerts, in one
// transaction; ids that name no alert are listed, not an error.
func (s *Server) bulkStatus(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readStatus(w, r, true)
	if !ok {
		return
	}
	docs, missing, err := s.changeStatus(r, req.IDs, req)
	if err != nil {
		esError(w, 500, "store_exception", err.Error())
		return
	}
	if missing == nil {
		missing = []string{}
	}
	writeJSON(w, 200, map[string]any{"updated": len(docs), "not_found": missing})
}
