package server

import (
	"encoding/hex"

	"vigil/internal/engine"
	"vigil/internal/store"
)

// new_terms rules' seen combinations live in the store (store/terms.go),
// the engine's copy restored at start and saved after every evaluation
// (engine/live_newterms.go). Saved after the alerts they raised are
// stored: a crash in between replays the spool, which raises those alerts
// again with the same ids (unchanged in the store), rather than losing them.

// loadTerms restores every new_terms rule's combinations (before the spool
// replays).
func (s *Server) loadTerms() error {
	for _, cr := range s.opts.Rules {
		if cr.Rule.NewTerms == nil {
			continue
		}
		stored, err := s.store.Terms(cr.Rule.RuleID)
		if err != nil {
			return err
		}
		terms := make([]engine.TermSeen, 0, len(stored))
		for _, t := range stored {
			var key [16]byte
			if b, err := hex.DecodeString(t.Hash); err == nil && len(b) == len(key) {
				copy(key[:], b)
				terms = append(terms, engine.TermSeen{Key: key, First: t.First, Last: t.Last})
			}
		}
		s.live.RestoreTerms(cr.Rule.RuleID, terms)
	}
	return nil
}

// saveTerms stores the combinations the last evaluation changed.
func (s *Server) saveTerms() {
	for _, rt := range s.live.TakeTerms() {
		terms := make([]store.Term, len(rt.Terms))
		for i, t := range rt.Terms {
			terms[i] = store.Term{Hash: hex.EncodeToString(t.Key[:]), First: t.First, Last: t.Last}
		}
		if err := s.store.PutTerms(rt.RuleID, terms); err != nil {
			s.log.Error("new_terms store failed", "rule", rt.RuleID, "err", err)
		}
	}
}

// pruneTerms forgets combinations older than each rule's history window.
func (s *Server) pruneTerms() {
	for ruleID, before := range s.live.PruneTerms() {
		if n, err := s.store.PruneTerms(ruleID, before); err != nil {
			s.log.Error("new_terms prune failed", "rule", ruleID, "err", err)
		} else if n > 0 {
			s.log.Debug("new_terms pruned", "rule", ruleID, "terms", n)
		}
	}
}
