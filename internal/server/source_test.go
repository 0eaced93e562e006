package server

import (
	"testing"
	"time"

	"vigil/internal/engine"
	"vigil/internal/esql"
	"vigil/internal/rule"
)

// A live rule reading METADATA _source sees each event's JSON: the server's
// decoders keep it when a rule reads it.
func TestLiveRuleReadsSource(t *testing.T) {
	r := *rule.Builtin()[0]
	r.Name = "source reader"
	r.Query = `FROM logs-endpoint.events.process-* METADATA _source
| WHERE JSON_EXTRACT(_source, "process.parent.entity_id") == "P-SRC"
| STATS n = COUNT(*) BY host.name`
	cr, err := engine.Compile(&r, &engine.Catalog{}, esql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := start(t, "", nil, func(o *Options) { o.Rules = []*engine.CompiledRule{cr} })
	defer ts.stop(t)
	base := time.Date(2026, 11, 20, 10, 12, 10, 0, time.UTC)
	do(t, "POST", ts.url+"/_bulk", "", bulkBody(processIndex,
		execEvent(base, "src-01", "P-SRC", "id"), execEvent(base.Add(time.Second), "src-02", "P-OTHER", "id")))
	ts.Sync()
	if l := ts.alerts(t, "?host=src-01"); l.Total != 1 {
		t.Errorf("src-01: %d alerts, want 1", l.Total)
	}
	if l := ts.alerts(t, "?host=src-02"); l.Total != 0 {
		t.Errorf("src-02: %d alerts, want 0", l.Total)
	}
}
