package eql

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/doc"
)

// seqEvent is a compact test event: category, pid, user and seconds.
type seqEvent struct {
	cat  string
	pid  int
	user string
	sec  int
}

func seqDocs(t testing.TB, m *doc.Mapping, evs []seqEvent) []*doc.Document {
	var lines []string
	for _, e := range evs {
		user := ""
		if e.user != "" {
			user = fmt.Sprintf(`,"user":{"name":%q}`, e.user)
		}
		lines = append(lines, fmt.Sprintf(`{"event":{"category":%q},"process":{"pid":%d}%s}`, e.cat, e.pid, user))
	}
	docs := testDocs(t, m, lines)
	for i, e := range evs { // testDocs spaces events 1 s apart; use the given seconds
		d := docs[i]
		d.Fields["@timestamp"] = doc.DateMillis(d.Fields["@timestamp"].I - int64(i)*1000 + int64(e.sec)*1000)
	}
	return docs
}

// seqIDs renders sequences as Elasticsearch's tests list them: event ids,
// -1 for a missing-event stage.
func seqIDs(seqs []Sequence) string {
	var parts []string
	for _, s := range seqs {
		var es []string
		for _, d := range s.Events {
			if d == nil {
				es = append(es, "-1")
			} else {
				es = append(es, fmt.Sprint(d.Get("event.sequence").I))
			}
		}
		parts = append(parts, "["+strings.Join(es, " ")+"]")
	}
	return strings.Join(parts, " ")
}

// TestSequences checks join keys, maxspan, until, runs, null keys and
// Elasticsearch's choice among overlapping candidates, by hand.
func TestSequences(t *testing.T) {
	m := mustMapping(t)
	evs := []seqEvent{
		{"process", 1, "a", 0},  // 1
		{"process", 2, "b", 1},  // 2
		{"file", 1, "a", 2},     // 3
		{"process", 1, "a", 3},  // 4
		{"file", 1, "", 4},      // 5 (no user)
		{"network", 2, "b", 30}, // 6
		{"file", 2, "b", 40},    // 7
		{"file", 1, "a", 41},    // 8
	}
	docs := seqDocs(t, m, evs)
	for _, tc := range []struct{ q, want string }{
		// each process→file pair by pid: the most recent pending start wins,
		// older ones at that stage are dropped (OrdinalGroup.trimBefore);
		// sequences come in the order of their last event (Sequence.compareTo)
		{`sequence by process.pid [process where true] [file where true]`, `[1 3] [4 5] [2 7]`},
		{`sequence [process where true] by process.pid [file where true] by process.pid`, `[1 3] [4 5] [2 7]`},
		// without keys, all events join: 3 takes 2 (the latest), 5 takes 4
		{`sequence [process where true] [file where true]`, `[2 3] [4 5]`},
		// maxspan counts from the first event; the rejected candidate is consumed
		{`sequence by process.pid with maxspan=10s [process where true] [file where true]`, `[1 3] [4 5]`},
		{`sequence by process.pid with maxspan=39s [process where true] [file where true]`, `[1 3] [4 5] [2 7]`},
		{`sequence by process.pid with maxspan=38999ms [process where true] [file where true]`, `[1 3] [4 5]`},
		// a non-optional null key joins nothing; an optional one joins on null
		{`sequence by process.pid, user.name [process where true] [file where true]`, `[1 3] [2 7] [4 8]`},
		{`sequence by ?user.name [file where true] [file where true]`, `[3 8]`},
		{`sequence by ?process.parent.pid [process where true] [file where true]`, `[2 3] [4 5]`},
		{`sequence by process.parent.pid [process where true] [file where true]`, ``},
		// until drops pending sequences of its key
		{`sequence by process.pid [process where true] [file where true] until [network where true]`, `[1 3] [4 5]`},
		// three stages and runs
		// event 5 both completes [1 3 5] and advances [4] to [4 5]
		{`sequence by process.pid [process where true] [file where true] [file where true]`, `[1 3 5] [4 5 8]`},
		{`sequence by process.pid [process where true] [file where true] with runs=2`, `[1 3 5] [4 5 8]`},
		{`sequence by process.pid [process where true] with runs=2 [file where true]`, `[1 4 5]`},
		{`sequence by process.pid [process where true] with runs=2`, `[1 4]`}, // one stage run twice is a sequence
		// an event matching two stages never joins itself
		{`sequence [any where true] [any where true]`, `[1 2] [2 3] [3 4] [4 5] [5 6] [6 7] [7 8]`},
		// head / tail count sequences
		{`sequence [any where true] [any where true] | tail 2`, `[6 7] [7 8]`},
		{`sequence [any where true] [any where true] | head 1`, `[1 2]`},
	} {
		q, err := Compile(tc.q, m, Options{Size: 100})
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if got := seqIDs(q.Search(docs).Sequences); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.q, got, tc.want)
		}
		// streaming in order gives the same sequences, as they complete
		s := q.NewSequencer()
		var streamed []Sequence
		for _, d := range docs {
			streamed = append(streamed, s.Push(d)...)
		}
		streamed = append(streamed, s.Flush()...)
		if len(q.pipes) == 0 && seqIDs(streamed) != tc.want {
			t.Errorf("%s: streamed %s, want %s", tc.q, seqIDs(streamed), tc.want)
		}
	}
}

// TestSequencerBounded checks that maxspan expiry and the cap bound the
// pending state and count what they drop.
func TestSequencerBounded(t *testing.T) {
	m := mustMapping(t)
	var evs []seqEvent
	for i := range 5000 {
		evs = append(evs, seqEvent{"process", i, "u", i})
	}
	docs := seqDocs(t, m, evs)
	q, err := Compile(`sequence by process.pid with maxspan=100s [process where true] [file where true]`, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := q.NewSequencer()
	for _, d := range docs {
		s.Push(d)
	}
	if s.Pending() > 100+1024 || s.Expired == 0 || s.Dropped != 0 {
		t.Fatalf("maxspan: pending %d, expired %d, dropped %d", s.Pending(), s.Expired, s.Dropped)
	}
	q, _ = Compile(`sequence by process.pid [process where true] [file where true]`, m, Options{MaxPending: 1000})
	s = q.NewSequencer()
	for _, d := range docs {
		s.Push(d)
	}
	if s.Pending() > 1000 || s.Dropped == 0 || s.Pending()+s.Dropped != 5000 {
		t.Fatalf("cap: pending %d, dropped %d", s.Pending(), s.Dropped)
	}
	// the newest survive the cap: the last process still joins its file
	late := seqDocs(t, m, []seqEvent{{"file", 4999, "u", 5000}})
	if got := s.Push(late[0]); len(got) != 1 || !slices.Equal(ids(got[0].Events), []int64{5000, 1}) {
		t.Fatalf("after cap: %v", seqIDs(got))
	}
}

func BenchmarkMatch(b *testing.B) {
	m := mustMapping(b)
	docs := testDocs(b, m, testEvents)
	q, err := Compile(`process where process.name : ("bash*", "*curl") and user.name != "alice" and not process.args : "*x*"`, m, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q.Match(docs[i%len(docs)])
	}
}

func BenchmarkSequencerPush(b *testing.B) {
	m := mustMapping(b)
	var evs []seqEvent
	for i := range 1000 {
		cat := "process"
		if i%3 == 0 {
			cat = "file"
		}
		evs = append(evs, seqEvent{cat, i % 50, "u", i})
	}
	docs := seqDocs(b, m, evs)
	q, err := Compile(`sequence by process.pid with maxspan=30s [process where true] [file where true]`, m, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	s := q.NewSequencer()
	for i := 0; b.Loop(); i++ {
		if i%len(docs) == 0 {
			s = q.NewSequencer()
		}
		s.Push(docs[i%len(docs)])
	}
}

// BenchmarkSequencerState streams an hour or four of process events through
// a Sequencer — keys hosts, each starting a process every 15 s (the
// benchmark data's rate, bench/gen.sh), a third of them Python — and
// reports the peak pending sequences and the peak live heap. The state is
// bounded by maxspan × key cardinality: four times the stream leaves both
// peaks unchanged; four times the keys multiplies them by four.
func BenchmarkSequencerState(b *testing.B) {
	q, err := Compile(`sequence by host.id with maxspan=1m [process where process.name : "python*"] [process where process.name == "sh"]`, nil, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ keys, minutes int }{{850, 60}, {850, 240}, {3400, 60}} {
		b.Run(fmt.Sprintf("keys=%d/minutes=%d", c.keys, c.minutes), func(b *testing.B) {
			hosts := make([]doc.Value, c.keys)
			for i := range hosts {
				hosts[i] = doc.KeywordOf(fmt.Sprintf("host-%04d", i))
			}
			names := []doc.Value{doc.KeywordOf("python3"), doc.KeywordOf("sh"), doc.KeywordOf("git")}
			events := c.keys * c.minutes * 4
			step := int64(15_000) / int64(c.keys) // ms between events, all hosts interleaved
			var peakPending int
			var peakHeap uint64
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			for b.Loop() {
				s := q.NewSequencer()
				for i := range events {
					s.Push(&doc.Document{Fields: map[string]doc.Value{
						"@timestamp":     doc.DateMillis(int64(i) * step),
						"event.category": doc.KeywordOf("process"),
						"host.id":        hosts[i%c.keys],
						"process.name":   names[(i/c.keys)%3],
					}})
					peakPending = max(peakPending, s.Pending())
					if i%(events/16) == 0 {
						runtime.GC()
						runtime.ReadMemStats(&ms)
						peakHeap = max(peakHeap, ms.HeapAlloc-min(base, ms.HeapAlloc))
					}
				}
				s.Flush()
			}
			b.ReportMetric(float64(peakPending), "peak-pending")
			b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
		})
	}
}

// TestSequencerLateness: events arriving out of order within the allowed
// lateness give the same sequences as the sorted batch search.
func TestSequencerLateness(t *testing.T) {
	m := mustMapping(t)
	docs, shuffled := latenessScenario(t, m)
	const src = `sequence by process.pid with maxspan=20s [process where true] [file where true] [network where true]`
	batch, err := Compile(src, m, Options{Size: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := seqIDs(batch.Search(docs).Sequences)
	if want == "" {
		t.Fatal("the scenario yields no sequences")
	}
	for _, tc := range []struct {
		lateness string
		same     bool
	}{{"5s", true}, {"0s", false}} {
		q, err := Compile(src, m, Options{Lateness: mustDuration(tc.lateness)})
		if err != nil {
			t.Fatal(err)
		}
		s := q.NewSequencer()
		var got []Sequence
		for _, d := range shuffled {
			got = append(got, s.Push(d)...)
		}
		got = append(got, s.Flush()...)
		if (seqIDs(got) == want) != tc.same {
			t.Errorf("lateness %s: got %s\nbatch %s", tc.lateness, seqIDs(got), want)
		}
		if tc.same && s.Late != 0 {
			t.Errorf("lateness %s: %d late events", tc.lateness, s.Late)
		}
	}
}

// latenessScenario is 200 events a second apart over three categories
// and seven pids, in order and shuffled: every 4th swapped with the one 3 s
// later.
func latenessScenario(t *testing.T, m *doc.Mapping) (docs, shuffled []*doc.Document) {
	var evs []seqEvent
	for i := range 200 {
		evs = append(evs, seqEvent{[]string{"process", "file", "network"}[i*7%3], i % 7, "u", i})
	}
	docs = seqDocs(t, m, evs)
	shuffled = slices.Clone(docs)
	for i := 0; i+3 < len(shuffled); i += 4 {
		shuffled[i], shuffled[i+3] = shuffled[i+3], shuffled[i]
	}
	return docs, shuffled
}

func mustDuration(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestMissingEvents checks ![…] stages by hand against the conditions of
// Elasticsearch's TumblingWindow.doCheckMissingEvents, batch and streaming.
func TestMissingEvents(t *testing.T) {
	m := mustMapping(t)
	docs := seqDocs(t, m, []seqEvent{
		{"process", 1, "u", 0},  // 1
		{"file", 1, "u", 1},     // 2
		{"process", 1, "u", 10}, // 3
		{"network", 1, "u", 12}, // 4
		{"file", 1, "u", 13},    // 5
		{"process", 1, "u", 30}, // 6
		{"file", 1, "u", 31},    // 7
		{"network", 1, "u", 60}, // 8
		{"network", 2, "u", 61}, // 9 (another key)
	})
	for _, tc := range []struct {
		q    string
		n    int // events given
		want string
	}{
		// middle: no network strictly between the process and the file
		{`sequence by process.pid [process where true] ![network where true] [file where true]`, 9, `[1 -1 2] [6 -1 7]`},
		// trailing: the first network after the file must be more than maxspan after the start
		{`sequence by process.pid with maxspan=20s [process where true] [file where true] ![network where true]`, 9, `[3 5 -1] [6 7 -1]`},
		// leading: the last network before the start must be more than maxspan before the last event
		{`sequence by process.pid with maxspan=20s ![network where true] [process where true] [file where true]`, 9, `[-1 1 2] [-1 3 5]`},
		// without maxspan any later network discards; the end of the input decides the rest
		{`sequence by process.pid [process where true] [file where true] ![network where true]`, 9, ``},
		{`sequence by process.pid [process where true] [file where true] ![network where true]`, 7, `[3 5 -1] [6 7 -1]`},
		// one positive stage
		{`sequence by process.pid with maxspan=5s [network where true] ![file where true]`, 9, `[8 -1] [9 -1]`},
		{`sequence by process.pid with maxspan=5s [process where true] ![file where true]`, 9, ``},
	} {
		q, err := Compile(tc.q, m, Options{Size: 100})
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if got := seqIDs(q.Search(docs[:tc.n]).Sequences); got != tc.want {
			t.Errorf("%s (%d events):\n got %s\nwant %s", tc.q, tc.n, got, tc.want)
		}
		s := q.NewSequencer()
		var streamed []Sequence
		for _, d := range docs[:tc.n] {
			streamed = append(streamed, s.Push(d)...)
		}
		streamed = append(streamed, s.Flush()...)
		if got := seqIDs(streamed); got != tc.want {
			t.Errorf("%s (%d events): streamed %s, want %s", tc.q, tc.n, got, tc.want)
		}
	}
}

// TestMissingEventsDecideAfterMaxspan: streaming alerts on a trailing
// missing stage only once maxspan has passed (elasticsearch#145323 answers
// early when its search window ends inside maxspan).
func TestMissingEventsDecideAfterMaxspan(t *testing.T) {
	m := mustMapping(t)
	docs := seqDocs(t, m, []seqEvent{
		{"process", 1, "u", 0},  // 1
		{"file", 1, "u", 1},     // 2
		{"file", 2, "u", 20},    // 3: exactly maxspan after the start
		{"file", 2, "u", 21},    // 4: past it
		{"network", 1, "u", 22}, // 5: too late to discard
	})
	q, err := Compile(`sequence by process.pid with maxspan=20s [process where true] [file where true] ![network where true]`, m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := q.NewSequencer()
	for i, d := range docs {
		got := seqIDs(s.Push(d))
		want := ""
		if i == 3 {
			want = "[1 2 -1]"
		}
		if got != want {
			t.Fatalf("after event %d: got %q, want %q", i+1, got, want)
		}
	}
}

// Hold and Release (a caller's clock, as vigil serve's watermark) give the
// batch search's sequences for input shuffled within the lateness the
// caller releases behind, and each sequence comes from the first Release
// whose time reaches its DecidedAt, which a restarting service relies on.
func TestSequencerHoldRelease(t *testing.T) {
	m := mustMapping(t)
	docs, shuffled := latenessScenario(t, m)
	for qi, src := range []string{
		`sequence by process.pid with maxspan=20s [process where true] [file where true] [network where true]`,
		`sequence by process.pid with maxspan=10s [process where true] [file where true] ![network where true]`,
		`sequence by process.pid with maxspan=10s ![network where true] [process where true] [file where true]`,
	} {
		q, err := Compile(src, m, Options{Size: 1000})
		if err != nil {
			t.Fatal(err)
		}
		want := seqIDs(q.Search(docs).Sequences)
		if want == "" {
			t.Fatalf("%s: the scenario yields no sequences", src)
		}
		for _, tc := range []struct {
			lateness int64 // s
			same     bool
		}{{5, true}, {0, false}} {
			s := q.NewSequencer()
			var got []Sequence
			newest, prev := int64(0), int64(-1)
			for _, d := range shuffled {
				if !s.Hold(d) {
					t.Fatal("held no event")
				}
				newest = max(newest, d.Get("@timestamp").I*1e6)
				at := newest - tc.lateness*1e9
				for _, sq := range s.Release(at) {
					if tc.same && (sq.DecidedAt() > at || sq.DecidedAt() <= prev) {
						t.Errorf("%s: sequence decided at %d released at %d (previous release %d)", src, sq.DecidedAt(), at, prev)
					}
					got = append(got, sq)
				}
				prev = max(prev, at)
			}
			got = append(got, s.Release(newest+int64(time.Hour))...)
			if s.Held() != 0 {
				t.Errorf("%s: %d events still held", src, s.Held())
			}
			// released without lateness, the shuffle changes the first
			// query's answer (the other two happen to survive it)
			if (seqIDs(got) == want) != tc.same && (tc.same || qi == 0) {
				t.Errorf("%s lateness %ds: got %s\nbatch %s", src, tc.lateness, seqIDs(got), want)
			}
		}
	}
}
