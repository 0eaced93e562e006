package server

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/store"
)

// BenchmarkAlertsPage100k measures the console's alerts page API at 100k
// stored alerts (each a full seed-rule alert, ~8 KB with its guide) over
// HTTP: the first page, a host filter, a status filter, free text, and
// keyset pages deep in the list. It reports each request's p50 and p95.
//
//	go test ./internal/server -run '^$' -bench AlertsPage100k -benchtime 200x
func BenchmarkAlertsPage100k(b *testing.B) {
	dir := b.TempDir()
	ts := start(b, dir, nil)
	defer ts.stop(b)
	ids := ingestAttacks(b, ts, "", 1)
	_, template := getJSON(b, ts, "", "/api/alerts/"+ids[0])
	delete(template, "workflow")
	seedAlerts(b, filepath.Join(dir, "vigil.db"), template, 100_000)
	deep := ""
	for _, bc := range []struct{ name, query string }{
		{"first", "?size=50"},
		{"host", "?size=50&host=host-0042"},
		{"status", "?size=50&status=acknowledged"},
		{"q", "?size=50&q=host-0042"},
		{"deep", "?size=50&search_after="},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				q := bc.query
				if bc.name == "deep" {
					q += deep
				}
				start := time.Now()
				resp, err := http.Get(ts.url + "/api/alerts" + q)
				if err != nil {
					b.Fatal(err)
				}
				var page struct {
					Alerts []json.RawMessage `json:"alerts"`
					Next   *string           `json:"next"`
				}
				err = json.NewDecoder(resp.Body).Decode(&page)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
				if err != nil || resp.StatusCode != 200 || len(page.Alerts) == 0 {
					b.Fatalf("%s: %d %v", q, resp.StatusCode, err)
				}
				if bc.name == "deep" { // walk on; wrap at the end
					deep = ""
					if page.Next != nil {
						deep = *page.Next
					}
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}

// seedAlerts writes n copies of the template alert (ids, hosts, times
// varied; every tenth acknowledged) straight into the store's database, in
// one transaction: through Put each would be an fsynced commit.
func seedAlerts(b *testing.B, path string, template map[string]any, n int) {
	b.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i := range n {
		id := fmt.Sprintf("seed-%07d", i)
		host := fmt.Sprintf("host-%04d", i%1000)
		tm := base + int64(i)*1000
		template["kibana.alert.uuid"], template["host.name"] = id, host
		template["@timestamp"] = time.UnixMilli(tm).UTC().Format("2006-01-02T15:04:05.000Z")
		doc, _ := json.Marshal(template)
		status := store.StatusOpen
		if i%10 == 0 {
			status = store.StatusAcknowledged
		}
		reason, _ := template["kibana.alert.reason"].(string)
		search := strings.ToLower(strings.Join([]string{template["kibana.alert.rule.name"].(string), host, "python3", reason}, "\n"))
		if _, err := tx.Exec(`INSERT INTO alerts (id, rule_id, rule_name, severity, host, status, time, updated, hash, doc, parent, search) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
			id, template["kibana.alert.rule.rule_id"], template["kibana.alert.rule.name"], template["kibana.alert.severity"], host, status, tm, tm, "h", doc, "python3", search); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
