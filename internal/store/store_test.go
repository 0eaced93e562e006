package store

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPutListStatus(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "db", "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := func(id, rule, host, sev string, tm int64, hash string) Record {
		return Record{ID: id, RuleID: rule, RuleName: "name-" + rule, Severity: sev, Host: host, Time: tm, Hash: hash, Doc: []byte(`{"id":"` + id + `"}`)}
	}
	steps := []struct {
		r    Record
		want Outcome
	}{
		{rec("a", "r1", "h1", "high", 100, "x"), Created},
		{rec("a", "r1", "h1", "high", 200, "x"), Unchanged},
		{rec("b", "r1", "h2", "low", 150, "y"), Created},
		{rec("c", "r2", "h1", "high", 300, "z"), Created},
	}
	for i, st := range steps {
		got, _, err := s.Put(st.r)
		if err != nil || got != st.want {
			t.Fatalf("step %d: %v, %v; want %v", i, got, err, st.want)
		}
	}
	if _, _, err := s.ChangeStatus([]string{"a"}, StatusChange{Status: StatusAcknowledged, At: 400}); err != nil {
		t.Fatal(err)
	}
	// An update keeps status and first-detection time.
	out, stored, err := s.Put(rec("a", "r1", "h1", "critical", 500, "x2"))
	if err != nil || out != Updated || stored.Status != StatusAcknowledged || stored.Time != 100 {
		t.Fatalf("update: %v %+v %v", out, stored, err)
	}
	cases := []struct {
		f     Filter
		ids   []string
		total int
	}{
		{Filter{}, []string{"c", "b", "a"}, 3},
		{Filter{Rule: "r1"}, []string{"b", "a"}, 2},
		{Filter{Rule: "name-r2"}, []string{"c"}, 1},
		{Filter{Host: "h1", Severity: "high"}, []string{"c"}, 1},
		{Filter{Status: StatusAcknowledged}, []string{"a"}, 1},
		{Filter{From: 120, To: 200}, []string{"b"}, 1},
		{Filter{Size: 1, Offset: 1}, []string{"b"}, 3},
	}
	for _, tc := range cases {
		recs, total, _, err := s.List(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		if total != tc.total || len(ids) != len(tc.ids) {
			t.Fatalf("%+v: got %v (%d), want %v (%d)", tc.f, ids, total, tc.ids, tc.total)
		}
		for i := range ids {
			if ids[i] != tc.ids[i] {
				t.Fatalf("%+v: got %v, want %v", tc.f, ids, tc.ids)
			}
		}
	}
	if recs, missing, err := s.ChangeStatus([]string{"nope"}, StatusChange{Status: StatusClosed, At: 1}); err != nil || len(recs) != 0 || len(missing) != 1 {
		t.Fatalf("unknown alert: %v %v %v", recs, missing, err)
	}
	if _, _, err := s.ChangeStatus([]string{"a"}, StatusChange{Status: "done", At: 1}); err == nil {
		t.Fatal("invalid status accepted")
	}
	if err := s.PutState("k", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	s.PutState("k", []byte("v2"))
	if v, _ := s.GetState("k"); string(v) != "v2" {
		t.Fatalf("state %q", v)
	}
	if v, _ := s.GetState("missing"); v != nil {
		t.Fatalf("missing state %q", v)
	}
}

func TestSpoolReplayAndPrune(t *testing.T) {
	dir := t.TempDir()
	sp, err := OpenSpool(dir, SpoolOptions{MaxSegment: 40})
	if err != nil {
		t.Fatal(err)
	}
	sp.Append([]Entry{{Index: "logs-a", ID: "1", Raw: []byte(`{"t":10}`), Time: 10}, {Index: "logs-a", ID: "tab\there", Raw: []byte(`{"t":20}`), Time: 20}})
	sp.Append([]Entry{{Index: "logs-b", ID: "", Raw: []byte(`{"t":30}`), Time: 30}}) // new segment: the first passed 40 bytes
	sp.Close()

	// A restart: a fresh spool over the same directory.
	sp2, _ := OpenSpool(dir, SpoolOptions{MaxSegment: 40})
	var got []Entry
	sp2.Replay(nil, func(e Entry) int64 {
		got = append(got, e)
		return map[string]int64{`{"t":10}`: 10, `{"t":20}`: 20, `{"t":30}`: 30}[string(e.Raw)]
	})
	if len(got) != 3 || got[1].ID != "tab\there" || got[2].Index != "logs-b" {
		t.Fatalf("replayed %+v", got)
	}
	if n := sp2.Prune(25); n != 1 || sp2.Segments() != 1 {
		t.Fatalf("pruned %d, left %d", n, sp2.Segments())
	}
	sp2.Append([]Entry{{Index: "x", Raw: []byte(`{}`), Time: 40}})
	if n := sp2.Prune(100); n != 2 {
		t.Fatalf("pruned %d", n)
	}
}

func FuzzSpoolLine(f *testing.F) {
	f.Add([]byte("\"logs-a\"\t\"1\"\t{\"a\":1}"))      // written before times were kept
	f.Add([]byte("\"logs-a\"\t\"1\"\t-5\t{\"a\":1}"))  // with a time
	f.Add([]byte("\"logs-a\"\t\"1\"\t12x\t{\"a\":1}")) // not a time: part of the source
	f.Add([]byte("\"x\t\"\t"))
	f.Add([]byte("no tabs"))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, ok := parseLine(line, nil)
		if !ok {
			return
		}
		// What parses must round-trip through Append's encoding.
		back, ok := parseLine(bytes.TrimSuffix(appendLine(nil, e), []byte("\n")), nil)
		if !ok || back.Index != e.Index || back.ID != e.ID || back.Time != e.Time || string(back.Raw) != string(e.Raw) {
			t.Fatalf("round trip: %+v vs %+v", e, back)
		}
	})
}

// Scan reads what was appended before a position — not what came after —
// and skips segments whose event times are out of range.
func TestSpoolScan(t *testing.T) {
	sp, err := OpenSpool(t.TempDir(), SpoolOptions{MaxSegment: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	ent := func(id string, tm int64) Entry {
		return Entry{Index: "i", ID: id, Raw: []byte(`{"t":` + id + `}`), Time: tm}
	}
	sp.Append([]Entry{ent("1", 10), ent("2", 20)}) // segment 1 (passes 30 bytes)
	mid, _ := sp.Append([]Entry{ent("3", 100)})    // segment 2
	sp.Append([]Entry{ent("4", 110)})              // segment 2, after mid
	cases := []struct {
		until    Pos
		from, to int64
		want     string
	}{
		{mid, minTime, maxTime, "123"},
		{mid, 50, 200, "3"}, // segment 1 holds 10..20 only
		{mid, 0, 15, "1"},   // entries are filtered by time too
		{Pos{mid.Seg, 1 << 40}, minTime, maxTime, "1234"},
		{Pos{}, minTime, maxTime, ""},
	}
	for _, tc := range cases {
		var got string
		var last Pos
		err := sp.Scan(tc.until, tc.from, tc.to, func(e Entry) {
			got += e.ID
			if !last.Before(e.Pos) {
				t.Errorf("positions out of order: %+v then %+v", last, e.Pos)
			}
			last = e.Pos
		})
		if err != nil || got != tc.want {
			t.Errorf("Scan(%+v, %d, %d) = %q, %v; want %q", tc.until, tc.from, tc.to, got, err, tc.want)
		}
	}
	if end, _ := sp.Append(nil); end.Before(mid) || end == mid || end != sp.End() {
		t.Fatalf("end %+v not after %+v", end, mid)
	}
	// Reopened, the spool's end is past the last segment, whole.
	sp.Close()
	sp2, _ := OpenSpool(sp.dir, SpoolOptions{MaxSegment: 30})
	got := ""
	sp2.Scan(sp2.End(), minTime, maxTime, func(e Entry) { got += e.ID })
	if got != "1234" {
		t.Fatalf("after reopening, Scan to End read %q", got)
	}
}

// A spool written before lines carried their time still replays and scans
// (its entries' times unknown: never skipped).
func TestSpoolReadsLinesWithoutTime(t *testing.T) {
	dir := t.TempDir()
	old := "\"logs-a\"\t\"1\"\t{\"t\":1}\n\"logs-a\"\t\"2\"\t {\"t\":2}\n"
	if err := os.WriteFile(filepath.Join(dir, "seg-00000001.ndjson"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := OpenSpool(dir, SpoolOptions{MaxSegment: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	var got []string
	sp.Scan(sp.End(), 100, 200, func(e Entry) { got = append(got, e.ID+string(e.Raw)) })
	if len(got) != 2 || got[0] != `1{"t":1}` || got[1] != `2 {"t":2}` {
		t.Fatalf("scanned %q", got)
	}
}

// Replay skips what keep refuses without decoding it, yet the spool still
// knows those entries' times: Scan finds them.
func TestSpoolReplayKeep(t *testing.T) {
	dir := t.TempDir()
	sp, _ := OpenSpool(dir, SpoolOptions{MaxSegment: 0})
	sp.Append([]Entry{{Index: "i", ID: "old", Raw: []byte(`{}`), Time: 10}, {Index: "i", ID: "new", Raw: []byte(`{}`), Time: 20}})
	sp.Close()
	sp2, _ := OpenSpool(dir, SpoolOptions{MaxSegment: 0})
	defer sp2.Close()
	var replayed, scanned string
	sp2.Replay(func(tm int64, _ Pos) bool { return tm >= 15 }, func(e Entry) int64 { replayed += e.ID; return e.Time })
	sp2.Scan(sp2.End(), 0, 12, func(e Entry) { scanned += e.ID })
	if replayed != "new" || scanned != "old" {
		t.Fatalf("replayed %q, scanned %q", replayed, scanned)
	}
}

// The outbox: a created or updated alert queued with PutQueued stays
// pending — across a reopen, as after a crash before the sinks had it —
// until Delivered; an unchanged one queues nothing.
func TestOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(id, rule, host, sev string, tm int64, hash string) Record {
		return Record{ID: id, RuleID: rule, RuleName: "name-" + rule, Severity: sev, Host: host, Time: tm, Hash: hash, Doc: []byte(`{"v":"` + hash + `"}`)}
	}
	steps := []struct {
		r        Record
		want     Outcome
		queued   bool
		kindWant string
	}{
		{rec("a", "r1", "h1", "high", 100, "x"), Created, true, "created"},
		{rec("a", "r1", "h1", "high", 200, "x"), Unchanged, false, ""},
		{rec("a", "r1", "h1", "high", 300, "x2"), Updated, true, "updated"},
		{rec("b", "r1", "h2", "low", 150, "y"), Created, true, "created"},
	}
	var seqs []int64
	for i, st := range steps {
		out, _, seq, err := s.PutQueued(st.r)
		if err != nil || out != st.want || (seq != 0) != st.queued || out.Kind() != st.kindWant {
			t.Fatalf("step %d: %v seq %d, %v; want %v", i, out, seq, err, st.want)
		}
		if seq != 0 {
			seqs = append(seqs, seq)
		}
	}
	if _, _, err := s.Put(rec("c", "r1", "h3", "low", 150, "z")); err != nil { // Put queues nothing
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.Pending()
	if err != nil || len(p) != 3 || p[0].ID != "a" || p[0].Kind != "created" || p[1].Kind != "updated" || p[2].ID != "b" || p[0].Seq != seqs[0] {
		t.Fatalf("pending after reopen: %+v, %v", p, err)
	}
	if got := string(p[1].Doc); !strings.Contains(got, "x2") {
		t.Fatalf("queued update carries %s", got)
	}
	for _, seq := range seqs[:2] {
		if err := s.Delivered(seq); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ = s.Pending(); len(p) != 1 || p[0].ID != "b" {
		t.Fatalf("pending after delivery: %+v", p)
	}
}
