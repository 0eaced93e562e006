package server

import (
	"strconv"
	"testing"
	"time"

	"vigil/internal/config"
)

const seedRuleID = "b42e4b88-fc4a-417b-a45e-4d4a3db9fd41"

// floodBursts is n alerting bursts (five commands each, distinct python
// parents on one host) inside the minute from at.
func floodBursts(at time.Time, n int) []string {
	var evs []string
	for p := 0; p < n; p++ {
		for i, c := range fiveCommands {
			evs = append(evs, execEvent(at.Add(time.Duration(i)*time.Second), "flood-01", "P-FLOOD-"+strconv.Itoa(p), c))
		}
	}
	return evs
}

// Issue 14, item 3: 200 alerting bursts in one window. Real time raises
// all 200 by default (no per-run cap); with limits.max_alerts_per_window a
// window keeps that many, and the cap is logged, counted and raises one
// "alerts capped" alert per window. Scheduled mode keeps Kibana's
// max_signals (100) per run, and reports the cap the same way. (`hunt
// --replay` keeps it too: engine.TestReplayMaxSignals.)
func TestMaxSignalsInRealTime(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 12, 30, 0, time.UTC) // in runs 10:15 and 10:20
	cases := []struct {
		name        string
		mut         func(*config.Config)
		alerts      int
		cappedAlert int     // "alerts capped" alerts (one per capped window)
		capped      float64 // vigil_alerts_capped_total
	}{
		{"realtime default", nil, 200, 0, 0},
		{"realtime max_alerts_per_window", func(c *config.Config) { c.Limits.MaxAlertsPerWindow = 50 }, 50, 2, 300},
		{"scheduled", func(c *config.Config) { c.Mode = config.ModeScheduled }, 100, 1, 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock(at.Add(10 * time.Second))
			ts := start(t, "", tc.mut, func(o *Options) { o.Clock = clock })
			defer ts.stop(t)
			if codes, _ := postBulk(t, ts.url, floodBursts(at, 200)...); count(codes, 201) != 1000 {
				t.Fatalf("items: %d created", count(codes, 201))
			}
			ts.Sync()
			if tc.mut != nil && ts.cfg.Mode == config.ModeScheduled {
				clock.set(time.Date(2026, 11, 20, 10, 17, 40, 0, time.UTC)) // the next run: [10:08:40, 10:17:40]
				ts.TickNow()
			}
			if n := ts.alerts(t, "?rule="+seedRuleID).Total; n != tc.alerts {
				t.Fatalf("alerts %d, want %d", n, tc.alerts)
			}
			l := ts.alerts(t, "?rule=vigil-alerts-capped")
			if l.Total != tc.cappedAlert {
				t.Fatalf("alerts-capped alerts %d, want %d: %+v", l.Total, tc.cappedAlert, l.Alerts)
			}
			if l.Total > 0 && l.Alerts[0]["vigil.rule.rule_id"] != seedRuleID {
				t.Fatalf("alerts-capped alert: %+v", l.Alerts[0])
			}
			if n := metric(t, ts.url, `vigil_alerts_capped_total{rule="Suspicious Python Shell Command Execution"}`); n != tc.capped {
				t.Fatalf("vigil_alerts_capped_total %v, want %v", n, tc.capped)
			}
		})
	}
}
