package store

import (
	"os"
	"sync"
	"testing"
)

// syncFile is a SegmentFile double that counts fsyncs and can hold one
// until released.
type syncFile struct {
	*os.File
	mu    sync.Mutex
	syncs int
	gate  chan struct{} // when set, Sync waits for it
}

func (f *syncFile) Sync() error {
	f.mu.Lock()
	f.syncs++
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return f.File.Sync()
}

// Group commit: appends made while an fsync runs share the next one, and a
// Sync whose entries an fsync already covered returns without another.
func TestSpoolGroupCommit(t *testing.T) {
	var file *syncFile
	gate := make(chan struct{})
	sp, err := OpenSpool(t.TempDir(), SpoolOptions{Create: func(path string) (SegmentFile, error) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		file = &syncFile{File: f, gate: gate}
		return file, err
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	e := []Entry{{Index: "i", ID: "a", Raw: []byte(`{}`), Time: 1}}
	pa, _ := sp.Append(e)
	aDone := make(chan error)
	go func() { aDone <- sp.Sync(pa) }()
	// A's fsync is held; B and C append meanwhile.
	for { // until A is inside its fsync
		file.mu.Lock()
		n := file.syncs
		file.mu.Unlock()
		if n == 1 {
			break
		}
	}
	pb, _ := sp.Append(e)
	pc, _ := sp.Append(e)
	var wg sync.WaitGroup
	for _, p := range []Pos{pb, pc} {
		wg.Add(1)
		go func() { defer wg.Done(); sp.Sync(p) }()
	}
	close(gate)
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if file.syncs != 2 {
		t.Fatalf("%d fsyncs for three requests, want 2 (B and C share one)", file.syncs)
	}
	if err := sp.Sync(pc); err != nil || file.syncs != 2 {
		t.Fatalf("a covered Sync fsynced again (%d)", file.syncs)
	}
}

// Spool files are private: the directory 0700, segments 0600.
func TestSpoolPermissions(t *testing.T) {
	dir := t.TempDir() + "/spool"
	sp, err := OpenSpool(dir, SpoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sp.Append([]Entry{{Index: "i", ID: "a", Raw: []byte(`{}`)}})
	sp.Close()
	st, _ := os.Stat(dir)
	seg, _ := os.Stat(sp.path(1))
	if st.Mode().Perm() != 0o700 || seg.Mode().Perm() != 0o600 {
		t.Fatalf("dir %v, segment %v", st.Mode().Perm(), seg.Mode().Perm())
	}
	data := t.TempDir() + "/data"
	db, err := Open(data + "/vigil.db")
	if err != nil {
		t.Fatal(err)
	}
	db.PutState("k", []byte("v"))
	defer db.Close()
	for _, p := range []string{"/vigil.db", "/vigil.db-wal"} {
		fi, err := os.Stat(data + p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v", p, err)
		}
	}
}
