package engine

import (
	"fmt"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// liveNewTerms is a Live engine with ntRule("host.name"), its clock at
// 2026-11-30T12:00Z.
func liveNewTerms(tb testing.TB) (*Live, *doc.Decoder) {
	tb.Helper()
	cr, err := Compile(ntRule("host.name"), &Catalog{}, esql.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	l := NewLive([]*CompiledRule{cr}, LiveOptions{Clock: fixedClock(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))})
	return l, doc.NewDecoder(nil, doc.DecodeOptions{Dynamic: true})
}

// Real time: a combination alerts on the flush after its first event;
// seen again within the history it does not; a late event older than the
// sighting it alerted on moves nothing (no second alert); a restored
// combination is seen.
func TestLiveNewTerms(t *testing.T) {
	l, dec := liveNewTerms(t)
	flush := func(lines ...string) (out []string) {
		t.Helper()
		for _, line := range lines {
			d, err := dec.Decode([]byte(line))
			if err != nil {
				t.Fatal(err)
			}
			l.Push(d)
		}
		ups, err := l.Flush()
		if err != nil {
			t.Fatal(err)
		}
		return ntSummary(alertsOf(ups))
	}
	l.RestoreTerms("r-nt", []TermSeen{{Key: termKey([]doc.Value{doc.KeywordOf("old")}), First: 0, Last: time.Date(2026, 11, 30, 10, 30, 0, 0, time.UTC).UnixMilli()}})
	if got := flush(ntEv("11:00:00", "a1", `"host":{"name":"a"}`), ntEv("11:01:00", "o1", `"host":{"name":"old"}`)); len(got) != 1 || got[0] != `["a"] a1 2026-11-30T11:00:00` {
		t.Fatalf("first flush: %q", got)
	}
	if got := flush(ntEv("11:02:00", "a2", `"host":{"name":"a"}`), ntEv("10:59:00", "a0", `"host":{"name":"a"}`)); len(got) != 0 {
		t.Fatalf("a seen again, and a late sighting: %q", got)
	}
	terms := l.TakeTerms()
	if len(terms) != 1 || len(terms[0].Terms) != 2 {
		t.Fatalf("changed terms %+v, want a and old", terms)
	}
	for _, ts := range terms[0].Terms {
		if ts.Key == termKey([]doc.Value{doc.KeywordOf("a")}) && (ts.First != time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC).UnixMilli() || ts.Last != time.Date(2026, 11, 30, 11, 2, 0, 0, time.UTC).UnixMilli()) {
			t.Errorf("a: %+v, want first 11:00 and last 11:02", ts)
		}
	}
}

func alertsOf(ups []Update) []*Alert {
	var out []*Alert
	for _, u := range ups {
		out = append(out, u.Alert)
	}
	return out
}

// BenchmarkLiveNewTerms: a real-time new_terms rule over batches of 100
// events, 1 in 10 a new host.
func BenchmarkLiveNewTerms(b *testing.B) {
	l, dec := liveNewTerms(b)
	var docs []*doc.Document
	for i := range 100 {
		d, err := dec.Decode([]byte(ntEv("11:00:00", fmt.Sprint("e", i), fmt.Sprintf(`"host":{"name":"h%d"}`, i%10))))
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		docs[0].Fields["host.name"] = doc.KeywordOf(fmt.Sprint("new", i))
		for _, d := range docs {
			l.Push(d)
		}
		if _, err := l.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
