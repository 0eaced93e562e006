package engine

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/sample"
)

// Differential: events arriving in shuffled batches, far more out of order
// than the allowed lateness, raise in the live engine (late ones through
// Reevaluate) exactly the alerts the sweep (`vigil hunt`) raises over the
// same events — and without Reevaluate they would not.
func TestLiveLateDifferential(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	var buf bytes.Buffer
	if _, err := sample.Generate(&buf, sample.Config{Seed: 5, Scenarios: true, Hosts: 4}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	lines = append(lines, seedFixture()...)

	sw := NewSweep([]*CompiledRule{cr})
	pushSweep(t, sw, dec, lines)
	res, err := sw.Finish(time.Now(), "x")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range res[0].Alerts {
		want = append(want, a.ID)
	}
	sort.Strings(want)
	if len(want) < 5 {
		t.Fatalf("the sweep raised only %d alerts", len(want))
	}

	for _, tc := range []struct {
		seed       uint64
		batch      int
		reevaluate bool
	}{{1, 50, true}, {2, 200, true}, {3, 7, true}, {1, 50, false}} {
		order := make([][]string, 0, len(lines)/tc.batch+1)
		for i := 0; i < len(lines); i += tc.batch {
			order = append(order, lines[i:min(i+tc.batch, len(lines))])
		}
		rand.New(rand.NewPCG(tc.seed, tc.seed)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		clock := &fakeClock{time.Date(2026, 11, 20, 11, 5, 0, 0, time.UTC)}
		l := NewLive([]*CompiledRule{cr}, LiveOptions{AllowedLateness: time.Minute, Clock: clock})
		var pushed []*doc.Document
		src := func(from, to int64, fn func(*doc.Document)) error {
			for _, d := range pushed {
				fn(d)
			}
			return nil
		}
		got := map[string]bool{}
		collect := func(ups []Update, err error) {
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range ups {
				got[u.Alert.ID] = true
			}
		}
		for _, b := range order {
			for _, s := range b {
				d, err := dec.Decode([]byte(s))
				if err != nil {
					t.Fatal(err)
				}
				l.Push(d)
				pushed = append(pushed, d)
			}
			collect(l.Flush())
			for tc.reevaluate && l.PendingLate() {
				collect(l.Reevaluate(src))
			}
		}
		ids := make([]string, 0, len(got))
		for id := range got {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		same := strings.Join(ids, ",") == strings.Join(want, ",")
		if same != tc.reevaluate {
			t.Errorf("seed %d, batches of %d, reevaluate %v: %d alerts (%d late events), the sweep's %d", tc.seed, tc.batch, tc.reevaluate, len(ids), l.Stats()[0].Late, len(want))
		}
	}
}
