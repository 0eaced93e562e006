// Package store owns what `vigil serve` keeps on disk: alerts, their
// workflow status and its history, the outbox of their deliveries to the
// sinks, and the console's list queries (alert_query.go) in SQLite
// (modernc.org/sqlite, no cgo), small checkpoint values, the exception
// items added through the API, new_terms rules' seen
// value combinations (terms.go), alert suppression windows
// (suppression.go), every host's process events and each alert's evidence
// for investigation (processes.go), and the event spool (spool.go) that
// lets a restarted service rebuild the windows that were open when it
// stopped.
package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Workflow statuses, as Kibana names them.
const (
	StatusOpen         = "open"
	StatusAcknowledged = "acknowledged"
	StatusClosed       = "closed"
)

// ValidStatus reports whether s is a workflow status.
func ValidStatus(s string) bool {
	return s == StatusOpen || s == StatusAcknowledged || s == StatusClosed
}

// Record is one stored alert.
type Record struct {
	ID       string
	RuleID   string
	RuleName string
	Severity string
	Host     string
	Status   string
	Time     int64  // the alert's @timestamp, ms since the epoch (first detection)
	Updated  int64  // last change, ms
	Hash     string // content identity: an update with the same hash is not a change
	Doc      []byte // alert document, JSON
}

// Outcome of Put.
type Outcome int

const (
	Unchanged Outcome = iota
	Created
	Updated
)

// Kind names the change for sinks and the alert stream: "created",
// "updated" ("" when unchanged).
func (o Outcome) Kind() string {
	switch o {
	case Created:
		return "created"
	case Updated:
		return "updated"
	}
	return ""
}

// ErrNotFound is returned for an unknown alert id.
var ErrNotFound = errors.New("alert not found")

// Store is the SQLite database. Safe for concurrent use.
type Store struct {
	db *sql.DB
}

// Open opens (creating) the database at path. The database and its
// directory are private (0600, 0700): alerts hold command lines. SQLite
// creates the -wal and -shm files with the database file's mode.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	os.Chmod(filepath.Dir(path), 0o700)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Chmod(p, 0o600) // files an older version created 0644
	}
	// WAL: readers (the API) do not block the writer (the engine).
	// synchronous=FULL: a committed alert or checkpoint is fsynced with its
	// commit, so it survives an OS crash or power loss, not only kill -9
	// (NORMAL may lose the last commits then). Alert writes are few; the
	// cost is one fsync per commit.
	// _txlock=immediate: a transaction takes the write lock when it begins,
	// waiting up to busy_timeout for it. A deferred one that read first
	// fails at once (SQLITE_BUSY_SNAPSHOT, no wait) when another connection
	// committed in between — which the process-event writer does all the
	// time (processes.go). cache_size: 32 MiB of pages per connection
	// (SQLite's default is 2 MiB), for the process tables' random index
	// inserts (docs/investigate.md#performance).
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)&_txlock=immediate&_pragma=cache_size(-32768)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	for _, stmt := range []string{
		`CREATE TABLE IF NOT EXISTS alerts (
			id TEXT PRIMARY KEY,
			rule_id TEXT NOT NULL,
			rule_name TEXT NOT NULL,
			severity TEXT NOT NULL,
			host TEXT NOT NULL,
			status TEXT NOT NULL,
			time INTEGER NOT NULL,
			updated INTEGER NOT NULL,
			hash TEXT NOT NULL,
			doc BLOB NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time DESC, id)`,
		`CREATE INDEX IF NOT EXISTS alerts_rule ON alerts(rule_id)`,
		`CREATE INDEX IF NOT EXISTS alerts_updated ON alerts(updated, id)`,
		`CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value BLOB NOT NULL)`,
		// Added after the first release: IF NOT EXISTS is the migration
		// an existing database gets when a newer vigil opens it.
		// The sink outbox: alert deliveries committed with the alert and
		// deleted once the sinks have them (PutQueued, Pending, Delivered).
		`CREATE TABLE IF NOT EXISTS outbox (
			seq INTEGER PRIMARY KEY AUTOINCREMENT,
			id TEXT NOT NULL,
			kind TEXT NOT NULL,
			doc BLOB NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS exception_items (
			item_id TEXT PRIMARY KEY,
			list_id TEXT NOT NULL,
			created INTEGER NOT NULL,
			doc BLOB NOT NULL)`,
		termsTable, termsByLast,
		suppressionGroupsTable, suppressedTable, suppressedByEnd,
	} {
		if _, err := db.Exec(stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("store %s: %w", path, err)
		}
	}
	if err := migrateQuery(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if err := openInvestigation(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// ChangedSince returns up to limit alerts last changed at or after since
// (ms), oldest change first: what an alert stream resumed with
// Last-Event-ID missed.
func (s *Store) ChangedSince(since int64, limit int) ([]Record, error) {
	rows, err := s.db.Query(`SELECT `+cols+` FROM alerts WHERE updated >= ? ORDER BY updated, id LIMIT ?`, since, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Put inserts an alert or updates the stored one with the same id. An
// update keeps the stored workflow status and first-detection time; an
// identical hash is no change. The returned record is what is now stored.
func (s *Store) Put(r Record) (Outcome, Record, error) {
	out, r, _, err := s.put(r, false)
	return out, r, err
}

// PutQueued is Put that also records, in the same transaction, that the
// new or changed alert is to be delivered to the sinks: an outbox entry
// (its sequence number is returned; 0 when the alert was unchanged), which
// stays until Delivered, so a crash between the commit and the sinks' send
// leaves it for the next start to deliver (Pending).
func (s *Store) PutQueued(r Record) (Outcome, Record, int64, error) { return s.put(r, true) }

func (s *Store) put(r Record, queue bool) (out Outcome, _ Record, seq int64, err error) {
	tx, err := s.db.Begin()
	if err != nil {
		return 0, r, 0, err
	}
	defer tx.Rollback()
	parent, search := searchColumns(r)
	var old Record
	err = tx.QueryRow(`SELECT status, time, hash FROM alerts WHERE id = ?`, r.ID).Scan(&old.Status, &old.Time, &old.Hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if r.Status == "" {
			r.Status = StatusOpen
		}
		if r.Updated == 0 {
			r.Updated = r.Time
		}
		_, err = tx.Exec(`INSERT INTO alerts (id, rule_id, rule_name, severity, host, status, time, updated, hash, doc, parent, search) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
			r.ID, r.RuleID, r.RuleName, r.Severity, r.Host, r.Status, r.Time, r.Updated, r.Hash, r.Doc, parent, search)
		out = Created
	case err != nil:
		return 0, r, 0, err
	case old.Hash == r.Hash:
		return Unchanged, r, 0, nil
	default:
		r.Status, r.Time = old.Status, old.Time
		_, err = tx.Exec(`UPDATE alerts SET severity=?, host=?, updated=?, hash=?, doc=?, parent=?, search=? WHERE id=?`, r.Severity, r.Host, r.Updated, r.Hash, r.Doc, parent, search, r.ID)
		out = Updated
	}
	if err != nil {
		return 0, r, 0, err
	}
	if queue {
		res, err := tx.Exec(`INSERT INTO outbox (id, kind, doc) VALUES (?,?,?)`, r.ID, out.Kind(), r.Doc)
		if err != nil {
			return 0, r, 0, err
		}
		if seq, err = res.LastInsertId(); err != nil {
			return 0, r, 0, err
		}
	}
	return out, r, seq, tx.Commit()
}

// Queued is an alert delivery waiting in the outbox.
type Queued struct {
	Seq  int64
	ID   string
	Kind string // "created" or "updated"
	Doc  []byte
}

// Pending returns the outbox's deliveries, oldest first.
func (s *Store) Pending() ([]Queued, error) {
	rows, err := s.db.Query(`SELECT seq, id, kind, doc FROM outbox ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Queued
	for rows.Next() {
		var q Queued
		if err := rows.Scan(&q.Seq, &q.ID, &q.Kind, &q.Doc); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// Delivered removes a delivery from the outbox.
func (s *Store) Delivered(seq int64) error {
	_, err := s.db.Exec(`DELETE FROM outbox WHERE seq = ?`, seq)
	return err
}

const cols = `id, rule_id, rule_name, severity, host, status, time, updated, hash, doc`

func scan(row interface{ Scan(...any) error }) (Record, error) {
	var r Record
	err := row.Scan(&r.ID, &r.RuleID, &r.RuleName, &r.Severity, &r.Host, &r.Status, &r.Time, &r.Updated, &r.Hash, &r.Doc)
	return r, err
}

// Get returns one alert.
func (s *Store) Get(id string) (Record, error) {
	r, err := scan(s.db.QueryRow(`SELECT `+cols+` FROM alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// GetState reads a checkpoint value (nil when absent).
func (s *Store) GetState(key string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRow(`SELECT value FROM state WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

// PutState writes a checkpoint value.
func (s *Store) PutState(key string, value []byte) error {
	_, err := s.db.Exec(`INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// ExceptionItem is an exception item added through the API: Doc is its
// Kibana JSON, which the store does not interpret.
type ExceptionItem struct {
	ItemID, ListID string
	Created        int64 // ms
	Doc            []byte
}

// PutException adds an exception item, replacing the stored one with the
// same item_id.
func (s *Store) PutException(it ExceptionItem) error {
	_, err := s.db.Exec(`INSERT INTO exception_items (item_id, list_id, created, doc) VALUES (?,?,?,?)
		ON CONFLICT(item_id) DO UPDATE SET list_id = excluded.list_id, created = excluded.created, doc = excluded.doc`,
		it.ItemID, it.ListID, it.Created, it.Doc)
	return err
}

// Exceptions returns the stored exception items, oldest first.
func (s *Store) Exceptions() ([]ExceptionItem, error) {
	rows, err := s.db.Query(`SELECT item_id, list_id, created, doc FROM exception_items ORDER BY created, item_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ExceptionItem
	for rows.Next() {
		var it ExceptionItem
		if err := rows.Scan(&it.ItemID, &it.ListID, &it.Created, &it.Doc); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// DeleteException removes a stored exception item (ErrNotFound when none
// has the id).
func (s *Store) DeleteException(itemID string) error {
	res, err := s.db.Exec(`DELETE FROM exception_items WHERE item_id = ?`, itemID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
