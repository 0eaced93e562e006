package engine

import (
	"fmt"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// TestEvidenceCollector: an aggregating rule's alert gets exactly its
// group's input rows (not another parent's, not a row its filter drops,
// not the same parent's next minute), in time order, cut at MaxEvidence
// with the full count; a per-event alert gets the document its ancestor
// names.
func TestEvidenceCollector(t *testing.T) {
	base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	at := func(ms int) string {
		return base.Add(time.Duration(ms) * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	}
	kinds := []string{"whoami", "curl x", "find /", "env | sort", "wget y"}
	var lines []string
	// P1: 1,200 rows in minute 0, added newest first (evidence sorts).
	for i := 1199; i >= 0; i-- {
		cmd := fmt.Sprintf("sh -c %s #%d", kinds[i%5], i)
		lines = append(lines, ev(at(i*40), "h1", "linux", "P1", "python3", "sh", cmd, []string{"sh", "-c", cmd}, nil))
	}
	// P2: five rows, one more the filter drops (not a shell), and a row
	// in the next minute (another group).
	for i, k := range kinds {
		lines = append(lines, ev(at(1000*i), "h2", "linux", "P2", "python3", "sh", "sh -c "+k, []string{"sh", "-c", k}, nil))
	}
	lines = append(lines, ev(at(6000), "h2", "linux", "P2", "python3", "curl", "curl z", []string{"curl", "z"}, nil),
		ev(at(61_000), "h2", "linux", "P2", "python3", "sh", "sh -c id", []string{"sh", "-c", "id"}, nil))
	res := huntLines(t, lines)
	alerts := res[0].Alerts
	if len(alerts) != 2 {
		t.Fatalf("%d alerts", len(alerts))
	}
	cr, err := Compile(rule.Builtin()[0], &Catalog{}, esql.Options{Now: base})
	if err != nil {
		t.Fatal(err)
	}
	// A per-event alert of another rule, naming its document by _id.
	other := &rule.Rule{RuleID: "other", Name: "o", Severity: "low", Type: "esql"}
	cols := []esql.Column{{Name: "_id", Type: doc.Keyword}, {Name: "process.name", Type: doc.Keyword}}
	perEvent := BuildAlert(other, cols, []doc.Value{doc.KeywordOf(doc.AutoID([]byte(lines[1200]))), doc.KeywordOf("sh")}, nil, Execution{Time: base})
	c := NewEvidenceCollector([]*CompiledRule{cr}, append(alerts, perEvent))
	m := (&Catalog{}).DecoderMapping()
	dec := doc.NewDecoder(m, doc.DecodeOptions{Dynamic: true, Fields: c.Fields()})
	for _, l := range lines {
		d, err := dec.Decode([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		d.ID = doc.AutoID([]byte(l))
		c.Offer(d, []byte(l))
	}
	for _, a := range alerts {
		e := c.Evidence(a.ID)
		want, kept := 5, 5
		if a.Fields["process.parent.entity_id"] == "P1" {
			want, kept = 1200, MaxEvidence
		}
		if e.Total != want || len(e.Events) != kept || e.Truncated != (want > kept) {
			t.Errorf("%v: %d of %d events, truncated %v", a.Fields["process.parent.entity_id"], len(e.Events), e.Total, e.Truncated)
		}
		for i := 1; i < len(e.Events); i++ {
			if e.Events[i].Time < e.Events[i-1].Time {
				t.Fatalf("not in time order at %d", i)
			}
		}
	}
	only := NewEvidenceCollector(nil, []*Alert{perEvent})
	if !only.Examines(doc.AutoID([]byte(lines[1200]))) || only.Examines("other") || !c.Examines("other") {
		t.Error("Examines: a collector of per-event alerts examines their ids only; one with a probe, every id")
	}
	if e := c.Evidence(perEvent.ID); e.Total != 1 || e.Events[0].ID != doc.AutoID([]byte(lines[1200])) || string(e.Events[0].Source) != lines[1200] {
		t.Errorf("per-event alert: %+v", e)
	}
}

func TestHitSource(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{`{"_index":"i","_id":"x","_source":{"a":1}}`, `{"a":1}`},
		{`{"_source":"not an object","a":1}`, `{"_source":"not an object","a":1}`},
		{` {"a":1} `, `{"a":1}`},
	} {
		if got := string(HitSource([]byte(tc.in))); got != tc.want {
			t.Errorf("HitSource(%s) = %s", tc.in, got)
		}
	}
}
