package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// fakeAlert is an alert document as the server stores one.
func fakeAlert(i int, rng *rand.Rand) Record {
	rules := []string{"Suspicious Python Shell", "Encoded PowerShell", "Sudo Hijack"}
	sevs := []string{"low", "medium", "high", "critical"}
	parents := []string{"python3", "bash", "<img src=x onerror=alert(1)>", "100%_cpu"}
	host := fmt.Sprintf("host-%02d", rng.IntN(20))
	rule := rng.IntN(len(rules))
	parent := parents[rng.IntN(len(parents))]
	doc, _ := json.Marshal(map[string]any{
		"kibana.alert.reason":    fmt.Sprintf("event on %s created alert %d", host, i),
		"process.parent.name":    parent,
		"kibana.alert.rule.name": rules[rule],
	})
	return Record{ID: fmt.Sprintf("a%06d", i), RuleID: fmt.Sprintf("rule-%d", rule), RuleName: rules[rule],
		Severity: sevs[rng.IntN(len(sevs))], Host: host, Time: int64(1_000_000 + rng.IntN(5000)), Hash: "h", Doc: doc}
}

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// reference filters and orders records the slow way.
func reference(all []Record, f Filter) []Record {
	var out []Record
	for _, r := range all {
		_, search := searchColumns(r)
		if f.Status != "" && r.Status != f.Status || f.Host != "" && r.Host != f.Host || f.Severity != "" && r.Severity != f.Severity ||
			f.Rule != "" && r.RuleID != f.Rule && r.RuleName != f.Rule || f.From != 0 && r.Time < f.From || f.To != 0 && r.Time > f.To ||
			f.Q != "" && !strings.Contains(search, strings.ToLower(f.Q)) {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Time != out[j].Time {
			return out[i].Time > out[j].Time
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// TestListKeyset checks every filter combination's keyset pages against
// the reference: the pages concatenate to exactly the reference's order,
// and the total is the reference's count. Free text is read both ways:
// through the trigram index's matches, and by a scan in list order.
func TestListKeyset(t *testing.T) {
	for _, setMax := range []int{ftsSetMax, 0} {
		t.Run(fmt.Sprintf("ftsSetMax=%d", setMax), func(t *testing.T) {
			defer func(v int) { ftsSetMax = v }(ftsSetMax)
			ftsSetMax = setMax
			testListKeyset(t)
		})
	}
}

func testListKeyset(t *testing.T) {
	s := openTemp(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var all []Record
	for i := range 600 {
		r := fakeAlert(i, rng)
		if _, stored, err := s.Put(r); err != nil {
			t.Fatal(err)
		} else {
			all = append(all, stored)
		}
	}
	// Some status changes, so the status filter has something to find.
	var acked []string
	for i := 0; i < len(all); i += 7 {
		acked = append(acked, all[i].ID)
		all[i].Status = StatusAcknowledged
	}
	if _, missing, err := s.ChangeStatus(append(acked, "nope"), StatusChange{Status: StatusAcknowledged, At: 9}); err != nil || len(missing) != 1 {
		t.Fatalf("bulk: missing %v, %v", missing, err)
	}
	filters := []Filter{
		{}, {Host: "host-03"}, {Status: StatusAcknowledged}, {Status: StatusOpen, Severity: "high"},
		{Rule: "rule-1"}, {Rule: "Sudo Hijack", Host: "host-07"}, {From: 1_002_000, To: 1_003_000},
		{Q: "PYTHON"}, {Q: "<img src=x"}, {Q: "100%"}, {Q: "_cpu"}, {Q: "%"}, {Q: "host-1"}, {Q: "nothing-matches"},
		{Q: "alert 59", Severity: "low"}, {Q: "python", Host: "host-03"}, {Q: "Sudo", From: 1_002_000, To: 1_003_000},
		{Q: `"py"`}, {Q: "éé"}, {Q: "on\nhost"}, {Q: "a"}, {Q: "\xff\xfe\xfd"}, {Q: `py*" OR "a`}, {Q: "ALERT 1"},
	}
	for _, f := range filters {
		want := reference(all, f)
		for _, size := range []int{1, 7, 100, 1000} {
			f := f
			f.Size = size
			var got []Record
			for pages := 0; ; pages++ {
				page, total, next, err := s.List(f)
				if err != nil {
					t.Fatal(err)
				}
				if total != len(want) {
					t.Fatalf("%+v: total %d, want %d", f, total, len(want))
				}
				got = append(got, page...)
				if next == nil {
					break
				}
				if pages > len(want) {
					t.Fatalf("%+v: pagination does not end", f)
				}
				c, err := ParseCursor(next.String())
				if err != nil || c != *next {
					t.Fatalf("cursor round trip: %v %v", c, err)
				}
				f.After = &c
			}
			if len(got) != len(want) {
				t.Fatalf("%+v: %d alerts over the pages, want %d", f, len(got), len(want))
			}
			for i := range got {
				if got[i].ID != want[i].ID || got[i].Status != want[i].Status {
					t.Fatalf("%+v: alert %d is %s, want %s", f, i, got[i].ID, want[i].ID)
				}
			}
		}
	}
	if _, _, _, err := s.List(Filter{Q: "ho\x00st"}); !errors.Is(err, ErrFreeTextNUL) {
		t.Errorf("free text with a NUL: %v", err)
	}
	for _, bad := range []string{"", "!!", "bm90LWEtY3Vyc29y"} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}

func TestWorkflowHistory(t *testing.T) {
	s := openTemp(t)
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := fakeAlert(1, rng), fakeAlert(2, rng)
	s.Put(a)
	s.Put(b)
	if _, _, err := s.ChangeStatus([]string{a.ID}, StatusChange{Status: StatusAcknowledged, Note: "looking", By: "alice", At: 10}); err != nil {
		t.Fatal(err)
	}
	recs, _, err := s.ChangeStatus([]string{a.ID, b.ID}, StatusChange{Status: StatusClosed, Note: "benign <b>admin</b>", At: 20})
	if err != nil || len(recs) != 2 || recs[0].Status != StatusClosed || recs[0].Updated != 20 {
		t.Fatalf("%+v %v", recs, err)
	}
	got, err := s.Workflow(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Status != StatusAcknowledged || got[0].Note != "looking" || got[0].By == nil || *got[0].By != "alice" || got[0].At != 10 ||
		got[1].Status != StatusClosed || got[1].Note != "benign <b>admin</b>" || got[1].By != nil || got[1].At != 20 {
		t.Fatalf("history %+v", got)
	}
	if h, _ := s.Workflow(b.ID); len(h) != 1 {
		t.Fatalf("b's history %+v", h)
	}
	if h, err := s.Workflow("none"); err != nil || len(h) != 0 || h == nil {
		t.Fatalf("unknown alert's history %#v %v", h, err)
	}
	if _, _, err := s.ChangeStatus([]string{a.ID}, StatusChange{Status: StatusOpen, Note: strings.Repeat("x", MaxNoteBytes+1)}); err == nil {
		t.Fatal("oversized note accepted")
	}
	if _, _, err := s.ChangeStatus([]string{a.ID}, StatusChange{Status: "done"}); err == nil {
		t.Fatal("invalid status accepted")
	}
	counts, err := s.AlertCounts()
	if total := 0; err == nil {
		for _, n := range counts {
			total += n
		}
		if total != 2 || counts[a.RuleID] == 0 {
			t.Fatalf("counts %v", counts)
		}
	} else {
		t.Fatal(err)
	}
}

// TestMigrateQueryColumns opens a database an earlier version wrote
// (without the parent and search columns): they are added and backfilled,
// so free text finds the old alerts.
func TestMigrateQueryColumns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE alerts (id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, rule_name TEXT NOT NULL, severity TEXT NOT NULL,
			host TEXT NOT NULL, status TEXT NOT NULL, time INTEGER NOT NULL, updated INTEGER NOT NULL, hash TEXT NOT NULL, doc BLOB NOT NULL)`,
		`INSERT INTO alerts VALUES ('old', 'r', 'Rule', 'low', 'h', 'open', 1, 1, 'x', '{"process.parent.name":"perl","kibana.alert.reason":"Old Reason"}')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{"perl", "old reason"} {
		if recs, _, _, err := s.List(Filter{Q: q}); err != nil || len(recs) != 1 {
			t.Fatalf("q=%s: %v %v", q, recs, err)
		}
	}
}

// TestMigrateTrigramIndex opens a database with the search column but no
// trigram index (the previous version's): the index is built from the
// stored alerts.
func TestMigrateTrigramIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 20 {
		s.Put(fakeAlert(i, rng))
	}
	for _, stmt := range []string{`DROP TRIGGER alerts_fts_insert`, `DROP TRIGGER alerts_fts_update`, `DROP TRIGGER alerts_fts_delete`, `DROP TABLE alerts_fts`} {
		if _, err := s.db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if recs, total, _, err := s.List(Filter{Q: "alert 13"}); err != nil || total != 1 || len(recs) != 1 || recs[0].ID != "a000013" {
		t.Fatalf("after migration: %d %v %v", total, recs, err)
	}
}

// TestFreeTextFollowsUpdates: an alert's text is found by its latest
// version only, through the trigram index and the scan alike.
func TestFreeTextFollowsUpdates(t *testing.T) {
	s := openTemp(t)
	put := func(reason, hash string) {
		doc, _ := json.Marshal(map[string]any{"kibana.alert.reason": reason})
		if _, _, err := s.Put(Record{ID: "x", RuleID: "r", RuleName: "Rule", Host: "h", Time: 1, Hash: hash, Doc: doc}); err != nil {
			t.Fatal(err)
		}
	}
	put("first alpha reason", "1")
	put("then bravo reason", "2")
	defer func(v int) { ftsSetMax = v }(ftsSetMax)
	for _, setMax := range []int{ftsSetMax, 0} {
		ftsSetMax = setMax
		for q, want := range map[string]int{"alpha": 0, "bravo": 1, "reason": 1} {
			if _, total, _, err := s.List(Filter{Q: q}); err != nil || total != want {
				t.Errorf("ftsSetMax=%d q=%s: %d alerts, want %d (%v)", setMax, q, total, want, err)
			}
		}
	}
}

// BenchmarkListAlerts100k pages through the list at 100k alerts: the first
// page, a deep keyset page, and a host filter, as the console asks.
func BenchmarkListAlerts100k(b *testing.B) {
	s := seed100k(b)
	deep := &Cursor{Time: 1_002_500, ID: "a050000"}
	for _, bc := range []struct {
		name string
		f    Filter
	}{
		{"first", Filter{Size: 50}},
		{"deep", Filter{Size: 50, After: deep}},
		{"host", Filter{Size: 50, Host: "host-07"}},
		{"status", Filter{Size: 50, Status: StatusAcknowledged}},
		{"q", Filter{Size: 50, Q: "python"}},
		{"q-rare", Filter{Size: 50, Q: "alert 4242"}}, // 11 alerts
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := s.List(bc.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func seed100k(b *testing.B) *Store {
	b.Helper()
	s := openTemp(b)
	start := time.Now()
	rng := rand.New(rand.NewPCG(5, 6))
	tx, err := s.db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for i := range 100_000 {
		r := fakeAlert(i, rng)
		parent, search := searchColumns(r)
		status := StatusOpen
		if i%10 == 0 {
			status = StatusAcknowledged
		}
		if _, err := tx.Exec(`INSERT INTO alerts (`+cols+`, parent, search) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
			r.ID, r.RuleID, r.RuleName, r.Severity, r.Host, status, r.Time, r.Time, r.Hash, r.Doc, parent, search); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 100k alerts in %v", time.Since(start))
	return s
}

// TestListPlans: every list query reads an index in list order (no sort of
// the matching alerts), and free text alone scans the index that holds the
// search column rather than the table.
func TestListPlans(t *testing.T) {
	s := openTemp(t)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 50 {
		s.Put(fakeAlert(i, rng))
	}
	s.db.Exec(`ANALYZE`)
	plan := func(f Filter) string {
		q, err := s.listSQL(f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, stmt := range []struct {
			sql  string
			args []any
		}{{q.count, q.countArgs}, {q.page, q.pageArgs}} {
			rows, err := s.db.Query("EXPLAIN QUERY PLAN "+stmt.sql, stmt.args...)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id, parent, unused int
				var detail string
				rows.Scan(&id, &parent, &unused, &detail)
				out = append(out, detail)
			}
			rows.Close()
		}
		return strings.Join(out, "; ")
	}
	c := &Cursor{1_002_000, "a000010"}
	// Free text more common than ftsSetMax scans in list order.
	defer func(v int) { ftsSetMax = v }(ftsSetMax)
	ftsSetMax = 0
	if got := plan(Filter{Q: "python"}); strings.Contains(got, "TEMP B-TREE") || !strings.Contains(got, "COVERING INDEX alerts_time_search") {
		t.Errorf("common free text: plan %q", got)
	}
	ftsSetMax = 5000
	for _, tc := range []struct {
		f    Filter
		want string
	}{
		{Filter{}, "alerts_time"},
		{Filter{After: c}, "alerts_time"},
		{Filter{Host: "host-01"}, "alerts_host_time"},
		{Filter{Status: StatusOpen, After: c}, "alerts_status_time"},
		{Filter{Severity: "high"}, "alerts_severity_time"},
		{Filter{Rule: "Sudo Hijack"}, "alerts_rule_time"},
		{Filter{Rule: "rule-1"}, "alerts_rule_time"},
		{Filter{Q: "python"}, "alerts_fts VIRTUAL TABLE"},
		{Filter{Q: "python", After: c}, "alerts_fts VIRTUAL TABLE"},
		{Filter{Q: "python", Host: "host-01"}, "alerts_host_time"},
		{Filter{Q: "py"}, "COVERING INDEX alerts_time_search"},
		{Filter{Q: "py", After: c}, "COVERING INDEX alerts_time_search"},
	} {
		got := plan(tc.f)
		if strings.Contains(got, "TEMP B-TREE") || !strings.Contains(got, tc.want) {
			t.Errorf("%+v: plan %q, want %s and no sort", tc.f, got, tc.want)
		}
	}
}

// FuzzParseCursor: any string is refused or parsed without panic, and every
// cursor round-trips through its encoding.
func FuzzParseCursor(f *testing.F) {
	f.Add("MTAwMDpzZWVkLTE", int64(1000), "seed-1")
	f.Add("", int64(-1), "")
	f.Add("Ojo6", int64(0), "a:b:c")
	f.Fuzz(func(t *testing.T, s string, tm int64, id string) {
		if c, err := ParseCursor(s); err == nil {
			if again, err := ParseCursor(c.String()); err != nil || again != c {
				t.Fatalf("%q: %+v re-encoded to %+v, %v", s, c, again, err)
			}
		}
		c := Cursor{tm, id}
		if got, err := ParseCursor(c.String()); err != nil || got != c {
			t.Fatalf("%+v: round trip %+v, %v", c, got, err)
		}
	})
}
