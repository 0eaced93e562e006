package store

import (
	"database/sql"
	"errors"
)

// Alert suppression in vigil serve: the windows of each suppression group
// (a rule and its group_by values: Key) with the id of the alert that
// stands for each, and which alerts each window has absorbed, so that
// an alert re-derived after a restart (the spool replays) is not counted
// twice. Both are pruned by the window's end.
const (
	suppressionGroupsTable = `CREATE TABLE IF NOT EXISTS suppression_windows (
		key TEXT NOT NULL,
		lo INTEGER NOT NULL,
		hi INTEGER NOT NULL,
		alert_id TEXT NOT NULL,
		PRIMARY KEY (key, lo))`
	suppressedTable = `CREATE TABLE IF NOT EXISTS suppressed_alerts (
		alert_id TEXT PRIMARY KEY,
		group_id TEXT NOT NULL,
		hi INTEGER NOT NULL)`
	suppressedByEnd = `CREATE INDEX IF NOT EXISTS suppressed_alerts_hi ON suppressed_alerts(hi)`
)

// SuppressionWindow is a group's open window: alerts whose position (ms)
// lies in [Lo, Hi) join the alert AlertID.
type SuppressionWindow struct {
	Key     string
	AlertID string
	Lo, Hi  int64
}

// SuppressionWindow returns the group's window holding pos (ms; the latest
// opened before it when windows overlap), ok false when none does.
func (s *Store) SuppressionWindow(key string, pos int64) (w SuppressionWindow, ok bool, err error) {
	w.Key = key
	err = s.db.QueryRow(`SELECT alert_id, lo, hi FROM suppression_windows WHERE key = ? AND lo <= ? AND hi > ? ORDER BY lo DESC LIMIT 1`,
		key, pos, pos).Scan(&w.AlertID, &w.Lo, &w.Hi)
	if errors.Is(err, sql.ErrNoRows) {
		return w, false, nil
	}
	return w, err == nil, err
}

// PutSuppressionWindow opens a group's window.
func (s *Store) PutSuppressionWindow(w SuppressionWindow) error {
	_, err := s.db.Exec(`INSERT INTO suppression_windows (key, lo, hi, alert_id) VALUES (?,?,?,?)
		ON CONFLICT(key, lo) DO UPDATE SET hi = excluded.hi, alert_id = excluded.alert_id`, w.Key, w.Lo, w.Hi, w.AlertID)
	return err
}

// AddSuppressed records that window groupID (ending at hi) absorbed alert
// alertID; added is false when a window already had (an alert belongs to
// one window).
func (s *Store) AddSuppressed(groupID, alertID string, hi int64) (added bool, err error) {
	res, err := s.db.Exec(`INSERT OR IGNORE INTO suppressed_alerts (group_id, alert_id, hi) VALUES (?,?,?)`, groupID, alertID, hi)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// PruneSuppression forgets windows that ended before before (ms).
func (s *Store) PruneSuppression(before int64) error {
	if _, err := s.db.Exec(`DELETE FROM suppression_windows WHERE hi < ?`, before); err != nil {
		return err
	}
	_, err := s.db.Exec(`DELETE FROM suppressed_alerts WHERE hi < ?`, before)
	return err
}
