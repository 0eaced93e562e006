package eql

import (
	"fmt"
	"testing"

	"vigil/internal/doc"
)

// sampleEvents are one second apart; event.sequence is their id. Event 10
// has two pids (a multi-valued join key).
var sampleEvents = []string{
	`{"event":{"category":"process"},"process":{"pid":1},"user":{"name":"a"}}`,  // 1
	`{"event":{"category":"file"},"process":{"pid":1},"user":{"name":"a"}}`,     // 2
	`{"event":{"category":"process"},"process":{"pid":2}}`,                      // 3
	`{"event":{"category":"file"},"process":{"pid":2}}`,                         // 4
	`{"event":{"category":"process"},"process":{"pid":3},"user":{"name":"b"}}`,  // 5
	`{"event":{"category":"network"},"process":{"pid":3},"user":{"name":"b"}}`,  // 6
	`{"event":{"category":"file"},"process":{"pid":1},"user":{"name":"a"}}`,     // 7
	`{"event":{"category":"process"},"process":{"pid":10},"user":{"name":"c"}}`, // 8
	`{"event":{"category":"file"},"process":{"pid":10},"user":{"name":"c"}}`,    // 9
	`{"event":{"category":"network"},"process":{"pid":[3,10]}}`,                 // 10
}

// TestSamples checks sample queries against hand-computed answers:
// unordered stages, join keys (per stage, optional, multi-valued),
// distinct events, max_samples_per_key, key order and size/head/tail.
func TestSamples(t *testing.T) {
	m := mustMapping(t)
	docs := testDocs(t, m, sampleEvents)
	for _, tc := range []struct {
		q       string
		perKey  int
		size    int
		want    string
		reverse bool // events in reverse input order
	}{
		// one sample per key, keys ascending numerically (10 after 3); pid 3
		// has no file event
		{q: `sample by process.pid [process where true] [file where true]`, want: `[1 2] [3 4] [8 9]`},
		{q: `sample [process where true] by process.pid [file where true] by process.pid`, want: `[1 2] [3 4] [8 9]`},
		// events are listed in stage order, whatever their time order
		{q: `sample by process.pid [file where true] [process where true]`, want: `[2 1] [4 3] [9 8]`},
		// the first candidates in index (input) order
		{q: `sample by process.pid [file where true] [process where true]`, reverse: true, want: `[7 1] [4 3] [9 8]`},
		// an event matching both stages is used once per sample
		{q: `sample by process.pid [any where true] [any where true]`, want: `[1 2] [3 4] [5 6] [8 9]`},
		// max_samples_per_key: stages+2-1 candidates per stage, the first
		// stage's candidate fixed first (SampleIterator.match)
		{q: `sample by process.pid [process where true] [file where true]`, perKey: 2, want: `[1 2] [1 7] [3 4] [8 9]`},
		{q: `sample by process.pid [any where true] [any where true]`, perKey: 3, want: `[1 2] [1 7] [2 1] [3 4] [4 3] [5 6] [5 10] [6 5] [8 9] [8 10] [9 8]`},
		// a null key joins nothing; an optional one joins on null, nulls first
		{q: `sample by user.name [process where true] [file where true]`, want: `[1 2] [8 9]`},
		{q: `sample by ?user.name [process where true] [file where true]`, want: `[3 4] [1 2] [8 9]`},
		// a multi-valued key joins under each of its values
		{q: `sample by process.pid [network where true] [process where true]`, want: `[6 5] [10 8]`},
		{q: `sample by process.pid, user.name [network where true] [process where true]`, want: `[6 5]`},
		// no keys: one group
		{q: `sample [process where true] [file where true]`, want: `[1 2]`},
		{q: `sample [process where true] [file where true] [network where true]`, want: `[1 2 6]`},
		// three stages, unordered in time
		{q: `sample by ?user.name [network where true] [file where true] [process where true]`, want: `[10 4 3]`},
		// size and head/tail count samples
		{q: `sample by process.pid [process where true] [file where true]`, size: 2, want: `[1 2] [3 4]`},
		{q: `sample by process.pid [process where true] [file where true] | head 1`, want: `[1 2]`},
		{q: `sample by process.pid [process where true] [file where true] | tail 1`, want: `[8 9]`},
	} {
		size := tc.size
		if size == 0 {
			size = 100
		}
		q, err := Compile(tc.q, m, Options{Size: size, MaxSamplesPerKey: tc.perKey})
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		in := docs
		if tc.reverse {
			in = make([]*doc.Document, len(docs))
			for i, d := range docs {
				in[len(docs)-1-i] = d
			}
		}
		if !q.IsSample() || q.IsSequence() || q.Match(docs[0]) {
			t.Errorf("%s: IsSample %v IsSequence %v Match %v", tc.q, q.IsSample(), q.IsSequence(), q.Match(docs[0]))
		}
		if got := seqIDs(q.Search(in).Sequences); got != tc.want {
			t.Errorf("%s (per key %d):\n got %s\nwant %s", tc.q, tc.perKey, got, tc.want)
		}
	}
}

// TestSampleKeys checks the join keys a sample reports and that an event
// matching no stage is not a candidate.
func TestSampleKeys(t *testing.T) {
	m := mustMapping(t)
	docs := testDocs(t, m, sampleEvents)
	q, err := Compile(`sample by process.pid, ?user.name [process where true] [file where true]`, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range q.Search(docs).Sequences {
		got = append(got, fmt.Sprint(s.Keys[0].JSON(), " ", s.Keys[1].JSON()))
	}
	if want := "[1 a 2 <nil> 10 c]"; fmt.Sprint(got) != want {
		t.Errorf("keys %v, want %s", got, want)
	}
	if q.Candidate(docs[5]) || !q.Candidate(docs[0]) {
		t.Error("Candidate: a network event is no candidate, a process event is")
	}
}

// TestPickSamplesBounded checks that stages whose candidates cannot be
// made distinct end the search within its step budget: 14 stages over the
// same 13 events have no sample, and trying every arrangement is 13! steps.
func TestPickSamplesBounded(t *testing.T) {
	events := make([]*doc.Document, 13)
	for i := range events {
		events[i] = &doc.Document{}
	}
	cands := make([][]*doc.Document, 14)
	for i := range cands {
		cands[i] = events
	}
	if got := pickSamples(cands, 1); len(got) != 0 {
		t.Fatalf("got %d samples of 14 distinct events from 13", len(got))
	}
	if got := pickSamples(cands[:13], 1); len(got) != 1 {
		t.Fatalf("13 stages over 13 events: got %d samples, want 1", len(got))
	}
}

// BenchmarkSampleSearch answers a three-stage sample over 30,000 events of
// 1,000 join keys (a batch search's cost per event).
func BenchmarkSampleSearch(b *testing.B) {
	q, err := Compile(`sample by host.id [process where process.name == "python3"] [process where process.name == "sh"] [network where true]`, nil, Options{Size: 10000})
	if err != nil {
		b.Fatal(err)
	}
	cats := []string{"process", "process", "network"}
	names := []string{"python3", "sh", "curl"}
	docs := make([]*doc.Document, 30000)
	for i := range docs {
		docs[i] = &doc.Document{Fields: map[string]doc.Value{
			"@timestamp":     doc.DateMillis(int64(i)),
			"event.category": doc.KeywordOf(cats[i%3]),
			"host.id":        doc.KeywordOf(fmt.Sprintf("host-%04d", (i/3)%1000)),
			"process.name":   doc.KeywordOf(names[i%3]),
		}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if n := len(q.Search(docs).Sequences); n != 1000 {
			b.Fatalf("%d samples, want 1000", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(docs)), "ns/event")
}

// TestCandidatesKeepResults is differential: searching only the events
// Candidate keeps gives the same results as searching every event, for
// sequences (until, missing events, maxspan, runs) and samples, over
// pseudo-random events of which a share match no stage (dns).
func TestCandidatesKeepResults(t *testing.T) {
	m := mustMapping(t)
	cats := []string{"process", "file", "network", "dns", "dns"}
	var evs []seqEvent
	x := uint32(7)
	for i := range 400 {
		x = x*1664525 + 1013904223
		evs = append(evs, seqEvent{cats[x>>8%5], int(x>>16%6) + 1, []string{"a", "b", ""}[x>>20%3], i * int(x>>24%3)})
	}
	docs := seqDocs(t, m, evs)
	for _, query := range []string{
		`sequence by process.pid with maxspan=20s [process where true] [file where true]`,
		`sequence by process.pid [process where true] [file where true] until [network where user.name == "a"]`,
		`sequence by process.pid with maxspan=30s [process where true] ![network where true] [file where true]`,
		`sequence by process.pid with maxspan=30s [process where true] [file where true] ![network where true]`,
		`sequence by ?user.name with maxspan=1m [file where true] with runs=2 [network where true]`,
		`sequence [process where process.pid == 1] [file where process.pid == 2] | tail 3`,
		`sample by process.pid [network where true] [process where true] [file where true]`,
	} {
		q, err := Compile(query, m, Options{Size: 1000})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		var kept []*doc.Document
		for _, d := range docs {
			if q.Candidate(d) {
				kept = append(kept, d)
			}
		}
		all, some := seqIDs(q.Search(docs).Sequences), seqIDs(q.Search(kept).Sequences)
		if all != some || all == "" || len(kept) == len(docs) {
			t.Errorf("%s: %d of %d events kept\n all:  %s\n kept: %s", query, len(kept), len(docs), all, some)
		}
	}
}
