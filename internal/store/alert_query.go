package store

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The alert list the console pages through: filters, free text and keyset
// pagination over the alerts table, each filter backed by an index that
// ends in the list order (time DESC, id), so a page at 100k alerts reads
// its rows and stops; free text through a trigram index (alerts_fts); and
// the workflow history of status changes.

// queryMigrations add what the console's queries need to a database of any
// earlier version: the columns are filled from each alert's document by Put
// (existing rows by backfill, once).
var queryMigrations = []string{
	`CREATE INDEX IF NOT EXISTS alerts_host_time ON alerts(host, time DESC, id)`,
	`CREATE INDEX IF NOT EXISTS alerts_status_time ON alerts(status, time DESC, id)`,
	`CREATE INDEX IF NOT EXISTS alerts_severity_time ON alerts(severity, time DESC, id)`,
	`CREATE INDEX IF NOT EXISTS alerts_rule_time ON alerts(rule_id, time DESC, id)`,
	`CREATE INDEX IF NOT EXISTS alerts_rule_name ON alerts(rule_name, rule_id)`,
	// Free text scans this index, not the table: the search column lies
	// after each row's document, which spills to overflow pages.
	`CREATE INDEX IF NOT EXISTS alerts_time_search ON alerts(time DESC, id, search)`,
	`CREATE TABLE IF NOT EXISTS alert_workflow (
		alert_id TEXT NOT NULL,
		at INTEGER NOT NULL,
		status TEXT NOT NULL,
		note TEXT NOT NULL,
		actor TEXT)`,
	`CREATE INDEX IF NOT EXISTS alert_workflow_alert ON alert_workflow(alert_id, at)`,
	// Free text of three or more characters reads a trigram index of the
	// search column (FTS5, external content: the text is stored once, in
	// alerts). case_sensitive 1: the column and the query are lower-cased
	// by Go already, so a phrase of trigrams matches exactly the rows
	// whose search column contains the query (LIKE's answer).
	// The triggers keep it in step with every write to alerts (Put's
	// insert and update). It is keyed by the alerts' rowid, which only
	// VACUUM renumbers (the store never runs it; after a manual VACUUM,
	// INSERT INTO alerts_fts(alerts_fts) VALUES('rebuild') re-derives it).
	`CREATE VIRTUAL TABLE IF NOT EXISTS alerts_fts USING fts5(search, content='alerts', content_rowid='rowid',
		tokenize='trigram case_sensitive 1')`,
	`CREATE TRIGGER IF NOT EXISTS alerts_fts_insert AFTER INSERT ON alerts BEGIN
		INSERT INTO alerts_fts(rowid, search) VALUES (new.rowid, new.search);
	END`,
	`CREATE TRIGGER IF NOT EXISTS alerts_fts_delete AFTER DELETE ON alerts BEGIN
		INSERT INTO alerts_fts(alerts_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
	END`,
	`CREATE TRIGGER IF NOT EXISTS alerts_fts_update AFTER UPDATE OF search ON alerts BEGIN
		INSERT INTO alerts_fts(alerts_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
		INSERT INTO alerts_fts(rowid, search) VALUES (new.rowid, new.search);
	END`,
}

// migrateQuery adds the parent and search columns (SQLite has no ADD
// COLUMN IF NOT EXISTS), backfilling them, then runs queryMigrations, and
// indexes the existing alerts' text when it created the trigram index.
func migrateQuery(db *sql.DB) error {
	var n, fts int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info('alerts') WHERE name = 'search'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		if err := addSearchColumns(db); err != nil {
			return err
		}
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'alerts_fts'`).Scan(&fts); err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range queryMigrations {
		if _, err := tx.Exec(stmt); err != nil {
			return err
		}
	}
	if fts == 0 {
		if _, err := tx.Exec(`INSERT INTO alerts_fts(alerts_fts) VALUES ('rebuild')`); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func addSearchColumns(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range []string{
		`ALTER TABLE alerts ADD COLUMN parent TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE alerts ADD COLUMN search TEXT NOT NULL DEFAULT ''`,
	} {
		if _, err := tx.Exec(stmt); err != nil {
			return err
		}
	}
	rows, err := tx.Query(`SELECT ` + cols + ` FROM alerts`)
	if err != nil {
		return err
	}
	var recs []Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			rows.Close()
			return err
		}
		recs = append(recs, r)
	}
	rows.Close()
	for _, r := range recs {
		parent, search := searchColumns(r)
		if _, err := tx.Exec(`UPDATE alerts SET parent = ?, search = ? WHERE id = ?`, parent, search, r.ID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ParentProcess is the parent process an alert names, for the list: its
// name, else executable, else entity id ("" when the alert has none).
func ParentProcess(doc map[string]json.RawMessage) string {
	for _, k := range []string{"process.parent.name", "process.parent.executable", "process.parent.entity_id"} {
		var s string
		if json.Unmarshal(doc[k], &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

// searchColumns derives the parent process and the free-text haystack
// (rule name, host, parent process, reason; lower-cased) from an alert.
func searchColumns(r Record) (parent, search string) {
	var doc map[string]json.RawMessage
	json.Unmarshal(r.Doc, &doc)
	parent = ParentProcess(doc)
	var reason string
	json.Unmarshal(doc["kibana.alert.reason"], &reason)
	return parent, strings.ToLower(strings.Join([]string{r.RuleName, r.Host, parent, reason}, "\n"))
}

// Filter selects alerts; zero fields do not filter.
type Filter struct {
	Status   string
	Rule     string // rule_id or rule name
	Host     string
	Severity string
	From, To int64  // alert time range, ms, inclusive; 0 = open
	Q        string // free text: a substring of rule name, host, parent process or reason (case-insensitive)
	Size     int    // page size; 0 = 100
	Offset   int    // ignored with After
	After    *Cursor
}

// Cursor is a keyset position in the list order (time DESC, id ASC): the
// page after it starts with the next alert in that order.
type Cursor struct {
	Time int64
	ID   string
}

// String encodes the cursor for an API client (opaque, URL-safe).
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Time, 10) + ":" + c.ID))
}

// ParseCursor decodes Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		t, id, ok := strings.Cut(string(b), ":")
		if n, e := strconv.ParseInt(t, 10, 64); ok && e == nil {
			return Cursor{n, id}, nil
		}
	}
	return Cursor{}, errors.New("not a cursor this API returned")
}

// ErrFreeTextNUL refuses free text holding a NUL character.
var ErrFreeTextNUL = errors.New("q: free text may not contain a NUL character")

// escapeLike escapes LIKE's wildcards in s (ESCAPE '\').
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// List returns a page of alerts, newest first, the total matching, and the
// cursor of the page's last alert when more may follow.
func (s *Store) List(f Filter) ([]Record, int, *Cursor, error) {
	q, err := s.listSQL(f)
	if err != nil {
		return nil, 0, nil, err
	}
	total := q.total
	if total < 0 {
		if err := s.db.QueryRow(q.count, q.countArgs...).Scan(&total); err != nil {
			return nil, 0, nil, err
		}
	}
	rows, err := s.db.Query(q.page, q.pageArgs...)
	if err != nil {
		return nil, 0, nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, 0, nil, err
		}
		out = append(out, r)
	}
	var next *Cursor
	if len(out) == q.size {
		last := out[len(out)-1]
		next = &Cursor{last.Time, last.ID}
	}
	return out, total, next, rows.Err()
}

// listQuery is List's SQL: the count of the matching alerts and the page.
type listQuery struct {
	count, page         string
	countArgs, pageArgs []any
	size                int
	total               int // the count when known without running count; -1 = unknown
}

// ftsSetMax is the most alerts a free-text match may have for the list to
// be read through the trigram index's set of matches; beyond it a page is
// filled sooner by scanning in list order (a var: tests run both ways).
var ftsSetMax = 5000

func (s *Store) listSQL(f Filter) (listQuery, error) {
	var where []string
	var args []any
	add := func(cond string, v ...any) { where = append(where, cond); args = append(args, v...) }
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if f.Rule != "" {
		// Resolved to rule ids first: "rule_id = ? OR rule_name = ?" would
		// sort every alert of the rule for the page.
		ids, err := s.ruleIDs(f.Rule)
		if err != nil {
			return listQuery{}, err
		}
		if len(ids) == 1 {
			add("rule_id = ?", ids[0])
		} else {
			add("rule_id IN (?"+strings.Repeat(",?", len(ids)-1)+")", ids...)
		}
	}
	if f.Host != "" {
		add("host = ?", f.Host)
	}
	if f.Severity != "" {
		add("severity = ?", f.Severity)
	}
	if f.From != 0 {
		add("time >= ?", f.From)
	}
	if f.To != 0 {
		add("time <= ?", f.To)
	}
	if strings.ContainsRune(f.Q, 0) {
		// Neither FTS5's query syntax nor LIKE's pattern can hold one.
		return listQuery{}, ErrFreeTextNUL
	}
	q := strings.ToLower(f.Q)
	like := q != ""
	matches := -1 // alerts whose text holds q, when the trigram index counted them
	if utf8.RuneCountInString(q) >= 3 {
		// A phrase of q's trigrams, in a row, is q as a substring.
		phrase := `"` + strings.ReplaceAll(q, `"`, `""`) + `"`
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM alerts_fts WHERE alerts_fts MATCH ?`, phrase).Scan(&matches); err != nil {
			return listQuery{}, err
		}
		if matches <= ftsSetMax {
			// Few: the list's index order is checked against the set of
			// matching rows.
			add(`rowid IN (SELECT rowid FROM alerts_fts WHERE alerts_fts MATCH ?)`, phrase)
			like = false
		}
	}
	if like {
		// Too short for a trigram, or so common that a scan in list order
		// fills a page in a few rows: LIKE (which folds ASCII case only:
		// the column is lower-cased, so is q).
		add(`search LIKE ? ESCAPE '\'`, "%"+escapeLike(q)+"%")
	}
	from := " FROM alerts"
	keyed := f.Status != "" || f.Rule != "" || f.Host != "" || f.Severity != ""
	if like && !keyed {
		// Scan the index holding the search column in list order, reading
		// only matching rows (the planner would pick alerts_time and read
		// each row's document to test it).
		from = " FROM alerts INDEXED BY alerts_time_search"
	}
	lq := listQuery{size: f.Size, countArgs: slices.Clone(args), total: -1}
	if lq.size <= 0 {
		lq.size = 100
	}
	lq.count = `SELECT COUNT(*)` + from + whereClause(where)
	if matches >= 0 && !keyed && f.From == 0 && f.To == 0 {
		lq.total = matches
	}
	offset := f.Offset
	if c := f.After; c != nil {
		// "time <= ?" bounds the index range; the OR alone would scan from
		// the newest alert.
		add("time <= ? AND (time < ? OR id > ?)", c.Time, c.Time, c.ID)
		offset = 0
	}
	lq.page = `SELECT ` + cols + from + whereClause(where) + ` ORDER BY time DESC, id LIMIT ? OFFSET ?`
	lq.pageArgs = append(args, lq.size, offset)
	return lq, nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// ruleIDs resolves a rule filter (a rule_id or a rule name) to the rule
// ids of stored alerts: itself when alerts have it as id, and those of
// alerts with it as name (an index seek per id). Never empty: an unknown
// rule stays itself.
func (s *Store) ruleIDs(rule string) ([]any, error) {
	var ids []any
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM alerts WHERE rule_id = ? LIMIT 1)`, rule).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		ids = append(ids, rule)
	}
	last := ""
	for len(ids) < 100 {
		var id sql.NullString
		if err := s.db.QueryRow(`SELECT MIN(rule_id) FROM alerts WHERE rule_name = ? AND rule_id > ?`, rule, last).Scan(&id); err != nil {
			return nil, err
		}
		if !id.Valid {
			break
		}
		if id.String != rule {
			ids = append(ids, id.String)
		}
		last = id.String
	}
	if len(ids) == 0 {
		ids = append(ids, rule)
	}
	return ids, nil
}

// WorkflowEntry is one status change.
type WorkflowEntry struct {
	Status string  `json:"status"`
	Note   string  `json:"note"`
	At     int64   `json:"-"`  // ms
	By     *string `json:"by"` // the token's user name; nil when the token names none
}

// StatusChange is a workflow change to one or more alerts.
type StatusChange struct {
	Status string
	Note   string
	By     string // "" = unnamed
	At     int64  // ms
}

// MaxNoteBytes bounds a status note.
const MaxNoteBytes = 4096

// ChangeStatus applies c to every alert of ids in one transaction, and
// records it in each one's history. It returns the changed alerts and the
// ids that name none.
func (s *Store) ChangeStatus(ids []string, c StatusChange) ([]Record, []string, error) {
	if !ValidStatus(c.Status) {
		return nil, nil, fmt.Errorf("invalid status %q: want open, acknowledged or closed", c.Status)
	}
	if len(c.Note) > MaxNoteBytes {
		return nil, nil, fmt.Errorf("note: longer than %d bytes", MaxNoteBytes)
	}
	var by any
	if c.By != "" {
		by = c.By
	}
	tx, err := s.db.Begin()
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	var changed []string
	var missing []string
	for _, id := range ids {
		res, err := tx.Exec(`UPDATE alerts SET status = ?, updated = ? WHERE id = ?`, c.Status, c.At, id)
		if err != nil {
			return nil, nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			missing = append(missing, id)
			continue
		}
		if _, err := tx.Exec(`INSERT INTO alert_workflow (alert_id, at, status, note, actor) VALUES (?,?,?,?,?)`, id, c.At, c.Status, c.Note, by); err != nil {
			return nil, nil, err
		}
		changed = append(changed, id)
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, err
	}
	out := make([]Record, 0, len(changed))
	for _, id := range changed {
		r, err := s.Get(id)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, r)
	}
	return out, missing, nil
}

// Workflow returns an alert's status changes, oldest first.
func (s *Store) Workflow(id string) ([]WorkflowEntry, error) {
	rows, err := s.db.Query(`SELECT status, note, at, actor FROM alert_workflow WHERE alert_id = ? ORDER BY at, rowid`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []WorkflowEntry{}
	for rows.Next() {
		var e WorkflowEntry
		var by sql.NullString
		if err := rows.Scan(&e.Status, &e.Note, &e.At, &by); err != nil {
			return nil, err
		}
		if by.Valid {
			e.By = &by.String
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AlertCounts returns the number of stored alerts per rule_id.
func (s *Store) AlertCounts() (map[string]int, error) {
	rows, err := s.db.Query(`SELECT rule_id, COUNT(*) FROM alerts GROUP BY rule_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
