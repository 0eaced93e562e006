package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"vigil/internal/config"
	"vigil/internal/store"
)

// fsyncTracker is the spool's file system as an OS crash sees it: it
// records, per segment, how many bytes an fsync made durable. "Crashing"
// truncates each segment to that size — every write not yet fsynced is
// lost, as from the page cache on power loss — and the spool is read back.
type fsyncTracker struct {
	mu     sync.Mutex
	synced map[string]int64
	syncs  int
}

type trackedFile struct {
	*os.File
	t       *fsyncTracker
	written int64
}

func (t *fsyncTracker) create(path string) (store.SegmentFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.synced[path] = 0
	t.mu.Unlock()
	return &trackedFile{File: f, t: t}, nil
}

func (f *trackedFile) Write(b []byte) (int, error) {
	n, err := f.File.Write(b)
	f.t.mu.Lock()
	f.written += int64(n)
	f.t.mu.Unlock()
	return n, err
}

func (f *trackedFile) Sync() error {
	f.t.mu.Lock()
	size := f.written // what the fsync will cover (writes are serialised by the spool)
	f.t.mu.Unlock()
	if err := f.File.Sync(); err != nil {
		return err
	}
	f.t.mu.Lock()
	f.t.synced[f.Name()] = max(f.t.synced[f.Name()], size)
	f.t.syncs++
	f.t.mu.Unlock()
	return nil
}

// crash drops every unsynced byte, as of now.
func (t *fsyncTracker) crash(tb testing.TB) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for path, n := range t.synced {
		if err := os.Truncate(path, n); err != nil {
			tb.Fatal(err)
		}
	}
}

// Acceptance 4 (durability): with durability "request" every event a
// _bulk acknowledged is in the spool after a simulated OS crash, with
// shippers sending concurrently (group commit). With "async" and a long
// sync interval the same crash loses acknowledged events — the test can
// tell the difference.
func TestAcknowledgedSurvivesOSCrash(t *testing.T) {
	cases := []struct {
		durability string
		wantLoss   bool
	}{
		{config.DurabilityRequest, false},
		{config.DurabilityAsync, true},
	}
	for _, tc := range cases {
		t.Run(tc.durability, func(t *testing.T) {
			dir := t.TempDir()
			tr := &fsyncTracker{synced: map[string]int64{}}
			ts := start(t, dir, func(c *config.Config) {
				c.Durability = tc.durability
				c.SyncInterval = config.Duration{Duration: time.Hour}
			}, func(o *Options) { o.SpoolFiles = tr.create })
			base := time.Now().Add(-time.Minute)
			const shippers, requests = 8, 5
			var mu sync.Mutex
			acked := map[string]bool{}
			var wg sync.WaitGroup
			for s := range shippers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for r := range requests {
						id := "s" + strconv.Itoa(s) + "-r" + strconv.Itoa(r)
						body := `{"create":{"_index":"` + processIndex + `","_id":"` + id + `"}}` + "\n" + execEvent(base, "dur-"+id, "P", "whoami") + "\n"
						code, _, resp := do(t, "POST", ts.url+"/_bulk", "", body)
						var br bulkResponse
						json.Unmarshal([]byte(resp), &br)
						if code == 200 && len(br.Items) == 1 && br.Items[0]["create"].Status == 201 {
							mu.Lock()
							acked[id] = true
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			if len(acked) != shippers*requests {
				t.Fatalf("%d of %d acknowledged", len(acked), shippers*requests)
			}
			tr.mu.Lock()
			syncs := tr.syncs
			tr.mu.Unlock()
			tr.crash(t) // the OS dies now: the process never syncs again
			ts.Abandon()
			sp, err := store.OpenSpool(filepath.Join(dir, "spool"), store.SpoolOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer sp.Close()
			// Abandon's close synced the real files; the crash truncation
			// already dropped what no fsync had covered.
			found := map[string]bool{}
			sp.Replay(nil, func(e store.Entry) int64 { found[e.ID] = true; return e.Time })
			lost := 0
			for id := range acked {
				if !found[id] {
					lost++
				}
			}
			if (lost > 0) != tc.wantLoss {
				t.Fatalf("durability %s: %d of %d acknowledged events lost", tc.durability, lost, len(acked))
			}
			t.Logf("durability %s: %d fsyncs for %d requests; %d of %d acknowledged events lost in the crash", tc.durability, syncs, shippers*requests, lost, len(acked))
		})
	}
}

// The data directory is private and every file in it (database and WAL,
// spool, late and future quarantines) is 0600: they hold command lines.
func TestDataFilesPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ts := start(t, dir, nil)
	postBulk(t, ts.url, execEvent(time.Now(), "h", "P", "id"))
	ts.Sync()
	ts.stop(t)
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: %v, want %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
