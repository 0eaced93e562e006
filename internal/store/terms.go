package store

import "fmt"

// new_terms rules' seen value combinations (engine.TermSeen): per rule, a
// hash of the combination, the sighting alerted on (first) and the last
// sighting, both event times in ms. Pruned by last sighting as the rule's
// history window moves.
const termsTable = `CREATE TABLE IF NOT EXISTS new_terms (
	rule_id TEXT NOT NULL,
	hash TEXT NOT NULL,
	first INTEGER NOT NULL,
	last INTEGER NOT NULL,
	PRIMARY KEY (rule_id, hash))`

// termsByLast serves PruneTerms.
const termsByLast = `CREATE INDEX IF NOT EXISTS new_terms_last ON new_terms(rule_id, last)`

// Term is one stored combination.
type Term struct {
	Hash        string
	First, Last int64
}

// Terms returns a rule's stored combinations.
func (s *Store) Terms(ruleID string) ([]Term, error) {
	rows, err := s.db.Query(`SELECT hash, first, last FROM new_terms WHERE rule_id = ?`, ruleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Term
	for rows.Next() {
		var t Term
		if err := rows.Scan(&t.Hash, &t.First, &t.Last); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// PutTerms stores a rule's changed combinations in one transaction.
func (s *Store) PutTerms(ruleID string, terms []Term) error {
	if len(terms) == 0 {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO new_terms (rule_id, hash, first, last) VALUES (?,?,?,?)
		ON CONFLICT(rule_id, hash) DO UPDATE SET first = excluded.first, last = excluded.last`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, t := range terms {
		if _, err := st.Exec(ruleID, t.Hash, t.First, t.Last); err != nil {
			return fmt.Errorf("new_terms %s: %w", ruleID, err)
		}
	}
	return tx.Commit()
}

// PruneTerms deletes a rule's combinations last seen before before (ms)
// and returns how many went.
func (s *Store) PruneTerms(ruleID string, before int64) (int64, error) {
	res, err := s.db.Exec(`DELETE FROM new_terms WHERE rule_id = ? AND last < ?`, ruleID, before)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
