package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"vigil/internal/config"
	"vigil/internal/engine"
)

func sampleLines(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open("../../examples/sample-events.ndjson.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var out [][]byte
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
	}
	return out
}

// Acceptance 1: the official client's BulkIndexer ships the sample data;
// exactly the alerts `vigil hunt` finds (same ids: the seed rule's four
// hosts) appear in the API, the file sink and at a webhook.
func TestEndToEndBulkIndexer(t *testing.T) {
	lines := sampleLines(t)

	// What hunt finds over the same data.
	wantDocs := huntAlerts(t, lines) // id → hunt's alert document
	want := map[string]string{}      // id → host
	for id, a := range wantDocs {
		want[id], _ = a["host.name"].(string)
	}
	var hosts []string
	for _, h := range want {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	if got := hosts; len(got) != 4 || got[0] != "build-02" || got[1] != "ci-07" || got[2] != "mac-03.corp.example" || got[3] != "web-01" {
		t.Fatalf("hunt's alerts over the sample: %v", got)
	}

	wh := &hook{}
	hs := httptest.NewServer(wh)
	defer hs.Close()
	file := filepath.Join(t.TempDir(), "alerts.ndjson")
	ts := start(t, "", func(c *config.Config) {
		// Two BulkIndexer workers ship two hours of history concurrently:
		// event time jumps back and forth by up to an hour between batches,
		// which the watermark must tolerate (else the stragglers are late).
		c.AllowedLateness.Duration = 3 * time.Hour
		c.Sinks.File = &config.FileSink{Path: file}
		c.Sinks.Webhook = &config.WebhookSink{URL: hs.URL, MaxRetries: 3}
	})

	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{ts.url}})
	if err != nil {
		t.Fatal(err)
	}
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: es, Index: processIndex, NumWorkers: 2, FlushBytes: 512 << 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	failed := 0
	for _, l := range lines {
		err := bi.Add(ctx, esutil.BulkIndexerItem{Action: "create", Body: bytes.NewReader(l),
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, r esutil.BulkIndexerResponseItem, err error) {
				failed++
				t.Errorf("item failed: %v %+v", err, r.Error)
			}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := bi.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := bi.Stats(); st.NumFailed != 0 || st.NumAdded != uint64(len(lines)) || failed != 0 {
		t.Fatalf("bulk stats %+v", st)
	}
	ts.Sync()

	// API.
	l := ts.alerts(t, "?size=100")
	if l.Total != len(want) {
		t.Fatalf("API has %d alerts, want %d", l.Total, len(want))
	}
	for _, a := range l.Alerts {
		id := a["kibana.alert.uuid"].(string)
		if want[id] == "" || a["host.name"] != want[id] || a["kibana.alert.workflow_status"] != "open" {
			t.Fatalf("unexpected alert %s on %v", id, a["host.name"])
		}
		// The same document as hunt's, but for when and by which run.
		for k, v := range wantDocs[id] {
			if engine.VolatileField(k) {
				continue
			}
			// VALUES keeps arrival order, which two shipping workers change
			// (Elasticsearch leaves it unspecified too): compare as sets.
			if g, w := canonical(a[k]), canonical(v); g != w {
				t.Errorf("alert %s field %s: %s, hunt has %s", id, k, g, w)
			}
		}
	}
	// Webhook: each alert created exactly once (updates may follow).
	waitFor(t, 5*time.Second, "webhook deliveries", func() bool { return len(wh.created()) == len(want) })
	for id, n := range wh.created() {
		if want[id] == "" || n != 1 {
			t.Fatalf("webhook: alert %s created %d times", id, n)
		}
	}
	ts.stop(t)
	// File sink: the same alerts, each created once.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var a map[string]any
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatal(err)
		}
		seen[a["kibana.alert.uuid"].(string)] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("file sink has %d alerts, want %d", len(seen), len(want))
	}
	for id := range seen {
		if want[id] == "" {
			t.Fatalf("file sink: unexpected alert %s", id)
		}
	}
}

func canonical(v any) string {
	if list, ok := v.([]any); ok {
		var parts []string
		for _, e := range list {
			b, _ := json.Marshal(e)
			parts = append(parts, string(b))
		}
		sort.Strings(parts)
		return "[" + strings.Join(parts, ",") + "]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
