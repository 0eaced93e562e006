package engine

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
	"vigil/internal/exception"
	"vigil/internal/sample"
)

// Differential: events arriving in shuffled batches, far more out of order
// than the allowed lateness, raise in the live engine (late ones through
// Reevaluate) exactly the alerts the sweep (`vigil hunt`) raises over the
// same events — and without Reevaluate they would not.
func TestLiveLateDifferential(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	lines := sampleLines(t, sample.Config{Seed: 5, Scenarios: true, Hosts: 4})

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

// Exceptions hold through late re-evaluation: with a source exception
// removing one alerting host's events, the live engine fed shuffled
// batches (late events through Reevaluate) raises the sweep's alerts with
// the exception applied, and the host stays quiet.
func TestLiveLateExceptions(t *testing.T) {
	cr, dec := liveFixture(t, nil)
	lines := seedFixture()
	// quiet alerts in the same runs as mac1, whose late events reopen them.
	const quiet = "quiet-mac"
	for i, cmd := range []string{"whoami", "hostname", "env ", "find ~ -name '*.kdbx'", "curl -O http://x"} {
		s, l, a := c("zsh", "-C", cmd)
		lines = append(lines, ev(fmt.Sprintf("2026-11-20T10:10:%02dZ", i), quiet, "macos", "P9", "python3", s, l, a, nil))
	}
	sweep := func() []string {
		sw := NewSweep([]*CompiledRule{cr})
		pushSweep(t, sw, dec, lines)
		res, err := sw.Finish(time.Now(), "x")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range res[0].Alerts {
			ids = append(ids, a.ID+" "+a.Host)
		}
		sort.Strings(ids)
		return ids
	}
	all := sweep()
	if !strings.Contains(strings.Join(all, ","), quiet) {
		t.Fatalf("%s raises no alert without the exception: %v", quiet, all)
	}
	set := exception.NewSet()
	set.ParseNDJSON([]byte(`{"item_id":"i","list_id":"l","type":"simple","entries":[{"type":"match","field":"host.name","value":"`+quiet+`","operator":"included"}]}`), "x")
	cr.Rule.ExceptionsList = []map[string]any{{"list_id": "l"}}
	if _, err := cr.ApplyExceptions(set, &Catalog{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	want := sweep()
	if len(want) == 0 || len(want) >= len(all) || strings.Contains(strings.Join(want, ","), quiet) {
		t.Fatalf("with the exception on %s the sweep raised %v of %v", quiet, want, all)
	}
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
			got[u.Alert.ID+" "+u.Alert.Host] = true
		}
	}
	// Newest lines first, in batches: nearly everything arrives late.
	for i := len(lines); i > 0; i -= 3 {
		for _, s := range lines[max(0, i-3):i] {
			d, err := dec.Decode([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			l.Push(d)
			pushed = append(pushed, d)
		}
		collect(l.Flush())
		for l.PendingLate() {
			collect(l.Reevaluate(src))
		}
	}
	ids := slices.Sorted(maps.Keys(got))
	if strings.Join(ids, ",") != strings.Join(want, ",") || l.Stats()[0].Late == 0 {
		t.Errorf("live raised %v (%d late events), the sweep %v", ids, l.Stats()[0].Late, want)
	}
}
