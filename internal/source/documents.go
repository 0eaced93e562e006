package source

import (
	"vigil/internal/doc"
)

// Stats counts what a read produced.
type Stats struct {
	Lines     int64 // non-blank lines seen
	Bytes     int64 // input bytes consumed (compressed size for .gz)
	Events    int64 // documents decoded
	Malformed int64 // lines rejected (bad JSON, unindexable values, too long)
	// Problems keeps the first few rejected lines with their reasons.
	Problems []Problem
}

// MaxProblems bounds how many rejected lines Stats keeps for reporting.
const MaxProblems = 10

func (s *Stats) problem(p Problem) {
	s.Malformed++
	if len(s.Problems) < MaxProblems {
		s.Problems = append(s.Problems, p)
	}
}

// Documents reads files and decodes each line with dec, calling fn for every
// document. Lines that fail to decode are counted and kept in Stats (the
// first MaxProblems of them); reading goes on. The document passed to fn is
// only valid during the call.
func (r *Reader) Documents(files []string, dec *doc.Decoder, fn func(*doc.Document)) (Stats, error) {
	return r.FilteredDocuments(files, dec, nil, fn)
}

// FilteredDocuments is Documents decoding only the lines keep passes (a
// prefilter; nil keeps every line): the others are counted in Lines only.
func (r *Reader) FilteredDocuments(files []string, dec *doc.Decoder, keep func(line []byte) bool, fn func(*doc.Document)) (Stats, error) {
	var st Stats
	prevProblem := r.OnProblem
	r.OnProblem = func(p Problem) {
		st.problem(p)
		if prevProblem != nil {
			prevProblem(p)
		}
	}
	defer func() { r.OnProblem = prevProblem }()
	err := r.ReadFiles(files, func(l Line) {
		st.Lines++
		if keep != nil && !keep(l.Bytes) {
			return
		}
		d, err := dec.Decode(l.Bytes)
		if err != nil {
			st.problem(Problem{File: l.File, Line: l.Num, Err: err})
			return
		}
		st.Events++
		fn(d)
	})
	st.Bytes = r.Consumed()
	return st, err
}
