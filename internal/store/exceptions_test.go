package store

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestExceptionItems: a database created before the exception_items table
// existed gets it on open (its alerts kept); items are added, replaced by
// item_id, listed oldest first, survive reopening, and delete reports
// ErrNotFound for an absent id; the file stays private.
func TestExceptionItems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE alerts (id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, rule_name TEXT NOT NULL, severity TEXT NOT NULL, host TEXT NOT NULL, status TEXT NOT NULL, time INTEGER NOT NULL, updated INTEGER NOT NULL, hash TEXT NOT NULL, doc BLOB NOT NULL)`,
		`INSERT INTO alerts VALUES ('a','r','n','low','h','open',1,1,'x','{}')`,
	} {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("a"); err != nil {
		t.Fatalf("old alert lost: %v", err)
	}
	steps := []ExceptionItem{
		{ItemID: "i2", ListID: "l", Created: 20, Doc: []byte(`{"v":2}`)},
		{ItemID: "i1", ListID: "l", Created: 10, Doc: []byte(`{"v":1}`)},
		{ItemID: "i2", ListID: "m", Created: 30, Doc: []byte(`{"v":3}`)}, // replaces
	}
	for _, it := range steps {
		if err := s.PutException(it); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Exceptions()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ItemID != "i1" || got[1].ItemID != "i2" || got[1].ListID != "m" || string(got[1].Doc) != `{"v":3}` {
		t.Fatalf("stored items %+v", got)
	}
	if err := s.DeleteException("i1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteException("i1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if got, _ := s.Exceptions(); len(got) != 1 || got[0].ItemID != "i2" {
		t.Fatalf("after delete %+v", got)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
}
