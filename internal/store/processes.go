package store

import (
	"database/sql"
	"fmt"
	"strings"
)

// The investigation tables (issue 17): every host's process events, kept
// for the retention period and indexed by entity id, parent entity id and
// host, so a process tree is a few index lookups; and each alert's
// evidence, the source documents that formed it. Created by
// openInvestigation when the store opens (IF NOT EXISTS: an older database
// gains them).
var investigationSchema = []string{
	`CREATE TABLE IF NOT EXISTS process_events (
		doc_id TEXT NOT NULL,
		time INTEGER NOT NULL,
		host TEXT NOT NULL,
		entity_id TEXT NOT NULL,
		parent_entity_id TEXT NOT NULL,
		index_name TEXT NOT NULL,
		source BLOB NOT NULL)`,
	// An event shipped twice (same _id), or replayed from the spool after
	// a restart, is stored once.
	`CREATE UNIQUE INDEX IF NOT EXISTS process_events_doc ON process_events(doc_id)`,
	`CREATE INDEX IF NOT EXISTS process_events_entity ON process_events(entity_id, time)`,
	`CREATE INDEX IF NOT EXISTS process_events_parent ON process_events(parent_entity_id, time)`,
	`CREATE INDEX IF NOT EXISTS process_events_host ON process_events(host, time)`,
	`CREATE INDEX IF NOT EXISTS process_events_time ON process_events(time)`,
	`CREATE TABLE IF NOT EXISTS evidence (
		alert_id TEXT NOT NULL,
		doc_id TEXT NOT NULL,
		time INTEGER NOT NULL,
		entity_id TEXT NOT NULL,
		index_name TEXT NOT NULL,
		source BLOB NOT NULL,
		PRIMARY KEY (alert_id, doc_id))`,
	`CREATE INDEX IF NOT EXISTS evidence_entity ON evidence(entity_id)`,
	`CREATE TABLE IF NOT EXISTS evidence_sets (
		alert_id TEXT PRIMARY KEY,
		total INTEGER NOT NULL,
		truncated INTEGER NOT NULL,
		focus TEXT NOT NULL,
		host TEXT NOT NULL,
		time INTEGER NOT NULL,
		stored INTEGER NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS evidence_sets_focus ON evidence_sets(focus)`,
	`CREATE INDEX IF NOT EXISTS evidence_sets_stored ON evidence_sets(stored)`,
}

func openInvestigation(db *sql.DB) error {
	for _, stmt := range investigationSchema {
		if _, err := db.Exec(stmt); err != nil {
			return err
		}
	}
	return nil
}

// ProcessEvent is one stored process event.
type ProcessEvent struct {
	DocID, Index             string
	Time                     int64 // event time, ms
	Host                     string
	EntityID, ParentEntityID string
	Source                   []byte // the document, JSON
}

// PutProcesses stores process events in one transaction; an event whose
// DocID is stored already is skipped.
func (s *Store) PutProcesses(evs []ProcessEvent) error {
	if len(evs) == 0 {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT OR IGNORE INTO process_events (doc_id, time, host, entity_id, parent_entity_id, index_name, source) VALUES (?,?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, e := range evs {
		if _, err := st.Exec(e.DocID, e.Time, e.Host, e.EntityID, e.ParentEntityID, e.Index, e.Source); err != nil {
			return err
		}
	}
	return tx.Commit()
}

const processCols = `doc_id, index_name, time, host, entity_id, parent_entity_id, source`

func (s *Store) processQuery(query string, args ...any) ([]ProcessEvent, error) {
	rows, err := s.db.Query(`SELECT `+processCols+` FROM process_events `+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ProcessEvent
	for rows.Next() {
		var e ProcessEvent
		if err := rows.Scan(&e.DocID, &e.Index, &e.Time, &e.Host, &e.EntityID, &e.ParentEntityID, &e.Source); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ProcessEvents returns a process's events (by process.entity_id), oldest
// first, at most limit.
func (s *Store) ProcessEvents(entityID string, limit int) ([]ProcessEvent, error) {
	return s.processQuery(`WHERE entity_id = ? ORDER BY time, rowid LIMIT ?`, entityID, limit)
}

// ChildEvents returns the events of the processes whose parent is
// parentID, oldest first, at most limit.
func (s *Store) ChildEvents(parentID string, limit int) ([]ProcessEvent, error) {
	if parentID == "" {
		return nil, nil
	}
	return s.processQuery(`WHERE parent_entity_id = ? ORDER BY time, rowid LIMIT ?`, parentID, limit)
}

// HostEvents returns a host's process events in [from, to] (ms), oldest
// first, at most limit.
func (s *Store) HostEvents(host string, from, to int64, limit int) ([]ProcessEvent, error) {
	return s.processQuery(`WHERE host = ? AND time >= ? AND time <= ? ORDER BY time, rowid LIMIT ?`, host, from, to, limit)
}

// EvidenceSet is an alert's evidence: the events (event-time order) and
// what the tree centres on.
type EvidenceSet struct {
	AlertID   string
	Total     int
	Truncated bool
	Focus     string // entity id the alert centres on ("" when none)
	Host      string // host key of the process store
	Time      int64  // the alert's time, ms
	Stored    int64  // when stored, ms (retention)
	Events    []EvidenceEvent
}

// EvidenceEvent is one source document of an alert.
type EvidenceEvent struct {
	DocID, Index string
	Time         int64
	EntityID     string // its process.entity_id ("" when none)
	Source       []byte
}

// PutEvidence replaces an alert's evidence.
func (s *Store) PutEvidence(set EvidenceSet) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM evidence WHERE alert_id = ?`, set.AlertID); err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO evidence_sets (alert_id, total, truncated, focus, host, time, stored) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT(alert_id) DO UPDATE SET total=excluded.total, truncated=excluded.truncated, focus=excluded.focus,
		host=excluded.host, time=excluded.time, stored=excluded.stored`,
		set.AlertID, set.Total, set.Truncated, set.Focus, set.Host, set.Time, set.Stored)
	if err != nil {
		return err
	}
	st, err := tx.Prepare(`INSERT OR IGNORE INTO evidence (alert_id, doc_id, time, entity_id, index_name, source) VALUES (?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, e := range set.Events {
		if _, err := st.Exec(set.AlertID, e.DocID, e.Time, e.EntityID, e.Index, e.Source); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Evidence returns an alert's evidence, events in event-time order
// (ErrNotFound when none was stored).
func (s *Store) Evidence(alertID string) (EvidenceSet, error) {
	set := EvidenceSet{AlertID: alertID}
	var trunc int
	err := s.db.QueryRow(`SELECT total, truncated, focus, host, time, stored FROM evidence_sets WHERE alert_id = ?`, alertID).
		Scan(&set.Total, &trunc, &set.Focus, &set.Host, &set.Time, &set.Stored)
	if err == sql.ErrNoRows {
		return set, ErrNotFound
	} else if err != nil {
		return set, err
	}
	set.Truncated = trunc != 0
	rows, err := s.db.Query(`SELECT doc_id, index_name, time, entity_id, source FROM evidence WHERE alert_id = ? ORDER BY time, doc_id`, alertID)
	if err != nil {
		return set, err
	}
	defer rows.Close()
	for rows.Next() {
		var e EvidenceEvent
		if err := rows.Scan(&e.DocID, &e.Index, &e.Time, &e.EntityID, &e.Source); err != nil {
			return set, err
		}
		set.Events = append(set.Events, e)
	}
	return set, rows.Err()
}

// AlertsOfProcesses returns, for each entity id, the alerts whose
// evidence holds one of its events or that centre on it, sorted.
func (s *Store) AlertsOfProcesses(ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	for len(ids) > 0 {
		n := min(len(ids), 500) // under SQLite's bound on parameters
		chunk := ids[:n]
		ids = ids[n:]
		in := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
		args := make([]any, 0, 2*len(chunk))
		for _, id := range chunk {
			args = append(args, id)
		}
		args = append(args, args...)
		rows, err := s.db.Query(`SELECT entity_id, alert_id FROM evidence WHERE entity_id IN (`+in+`)
			UNION SELECT focus, alert_id FROM evidence_sets WHERE focus IN (`+in+`) ORDER BY 1, 2`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var e, a string
			if err := rows.Scan(&e, &a); err != nil {
				rows.Close()
				return nil, err
			}
			out[e] = append(out[e], a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PruneInvestigation deletes process events older than before (event
// time, ms) and the evidence stored before storedBefore (ms), at most
// batch rows of each per call (so a long backlog never holds the write
// lock for long); it returns the rows deleted.
func (s *Store) PruneInvestigation(before, storedBefore int64, batch int) (int64, error) {
	var n int64
	for _, q := range []struct {
		stmt string
		arg  int64
	}{
		{`DELETE FROM process_events WHERE rowid IN (SELECT rowid FROM process_events WHERE time < ? LIMIT ?)`, before},
		{`DELETE FROM evidence WHERE alert_id IN (SELECT alert_id FROM evidence_sets WHERE stored < ? LIMIT ?)`, storedBefore},
		{`DELETE FROM evidence_sets WHERE alert_id IN (SELECT alert_id FROM evidence_sets WHERE stored < ? LIMIT ?)`, storedBefore},
	} {
		res, err := s.db.Exec(q.stmt, q.arg, batch)
		if err != nil {
			return n, fmt.Errorf("prune: %w", err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return n, nil
}
