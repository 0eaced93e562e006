package sink

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	w.Send(Event{Kind: "created", ID: "a", Alert: []byte(`{"x":1}`)})
	w.Send(Event{Kind: "updated", ID: "a", Alert: []byte(`{"x":2}`)})
	if got := b.String(); got != "{\"x\":1}\n{\"x\":2}\n" {
		t.Fatalf("got %q", got)
	}
}

func TestFileRotation(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out", "alerts.ndjson")
	f, err := NewFile(p, 20, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`{"n":1111111}`, `{"n":2222222}`, `{"n":3333333}`, `{"n":4444444}`} {
		if err := f.Send(Event{Alert: []byte(s)}); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	want := map[string]string{
		p:        "{\"n\":4444444}\n",
		p + ".1": "{\"n\":3333333}\n",
		p + ".2": "{\"n\":2222222}\n",
	}
	for name, w := range want {
		b, err := os.ReadFile(name)
		if err != nil || string(b) != w {
			t.Errorf("%s = %q, %v; want %q", name, b, err, w)
		}
	}
	if _, err := os.Stat(p + ".3"); err == nil {
		t.Errorf("kept more than max_files")
	}
}

func TestWebhookRetries(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if r.Header.Get("X-Key") != "k" {
			t.Errorf("header missing")
		}
		if calls <= 2 { // fail twice: 503 then 429
			w.WriteHeader([]int{503, 429}[calls-1])
			return
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		got = append(got, m)
	}))
	defer srv.Close()
	wh := NewWebhook(srv.URL, map[string]string{"X-Key": "k"}, time.Second, 3, 5*time.Millisecond, 0, nil)
	wh.Send(Event{Kind: "created", ID: "a", Alert: []byte(`{"kibana.alert.uuid":"a"}`)})
	wh.Close()
	mu.Lock()
	defer mu.Unlock()
	if calls != 3 || len(got) != 1 || got[0]["event"] != "alert.created" {
		t.Fatalf("calls %d, got %v", calls, got)
	}
	if a, _ := got[0]["alert"].(map[string]any); a["kibana.alert.uuid"] != "a" {
		t.Fatalf("alert body %v", got[0])
	}
	if wh.Failed() != 0 {
		t.Fatalf("failed %d", wh.Failed())
	}
}

func TestWebhookGivesUp(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusBadRequest) // not retried
	}))
	defer srv.Close()
	wh := NewWebhook(srv.URL, nil, time.Second, 3, time.Millisecond, 0, nil)
	wh.Send(Event{Kind: "created", ID: "a", Alert: []byte(`{}`)})
	wh.Close()
	if calls != 1 || wh.Failed() != 1 {
		t.Fatalf("calls %d failed %d", calls, wh.Failed())
	}
	_ = strings.TrimSpace
}
