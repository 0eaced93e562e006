package engine

import (
	"slices"
	"sync"

	"vigil/internal/doc"
	"vigil/internal/source"
)

// InferMapping types the fields of the first maxLines lines of each file
// (all lines when maxLines <= 0) that base does not map, as Elasticsearch's
// dynamic mapping would: a field's first value fixes its type. Stdin is
// skipped, as it can be read only once; an unreadable file ends the scan
// (the read that follows reports it).
func InferMapping(files []string, base *doc.Mapping, maxLines int) *doc.Mapping {
	dec := doc.NewDecoder(base, inferOptions)
	_ = (&source.Reader{MaxLines: maxLines}).ReadFiles(withoutStdin(files), func(l source.Line) { dec.Decode(l.Bytes) })
	return dec.Dynamic()
}

var inferOptions = doc.DecodeOptions{Dynamic: true, IgnoreMalformed: true, Reuse: true}

// InferFields is InferMapping over whole files, read by the parallel
// sweep: each worker types what it sees, and their fields are the ones a
// sequential scan types when the workers agree (see decoderSet.union); when
// they do not, it scans sequentially.
func InferFields(files []string, base *doc.Mapping, threads, chunkSize int) *doc.Mapping {
	decs := &decoderSet{}
	_, _ = NewSweep(nil).Run(&source.Reader{}, withoutStdin(files),
		ParallelOptions{Threads: threads, ChunkSize: chunkSize, NewDecoder: decs.maker(base, inferOptions)})
	if m, ok := decs.union(); ok {
		return m
	}
	return InferMapping(files, base, 0)
}

func withoutStdin(files []string) []string {
	return slices.DeleteFunc(slices.Clone(files), func(f string) bool { return f == "-" })
}

// decoderSet makes a sweep's decoders and keeps them, to look at the
// fields they typed dynamically after the read.
type decoderSet struct {
	mu   sync.Mutex
	decs []*doc.Decoder
}

func (s *decoderSet) maker(m *doc.Mapping, o doc.DecodeOptions) func() *doc.Decoder {
	return func() *doc.Decoder {
		d := doc.NewDecoder(m, o)
		s.mu.Lock()
		s.decs = append(s.decs, d)
		s.mu.Unlock()
		return d
	}
}

// union merges the fields the decoders typed dynamically; ok is false when
// they disagree — a name typed differently, or a leaf for one that is an
// object (or under a leaf) for another — as only then could the typing
// of a line depend on which earlier lines its decoder had seen.
func (s *decoderSet) union() (*doc.Mapping, bool) {
	u := doc.NewMapping()
	for _, d := range s.decs {
		dyn := d.Dynamic()
		for _, f := range dyn.Fields() {
			if g, seen := u.Lookup(f.Name); seen {
				if g.Type != f.Type || g.ESType != f.ESType || g.Nested != f.Nested {
					return nil, false
				}
				continue
			}
			u.Add(*f)
		}
		for _, o := range dyn.Objects() {
			u.AddObject(*o)
		}
	}
	for _, f := range u.Fields() {
		if _, clash := u.LookupObject(f.Name); clash {
			return nil, false
		}
		for i := range len(f.Name) {
			if f.Name[i] != '.' {
				continue
			}
			if _, clash := u.Lookup(f.Name[:i]); clash {
				return nil, false
			}
		}
	}
	return u, true
}
