// Command duckdb-seed runs the seed rule ("Suspicious Python Shell Command
// Execution") written as SQL by hand over an NDJSON file with DuckDB, the
// baseline of bench/run.sh. It lives in its own module so that the main
// module and CI never download DuckDB's libraries.
//
//	duckdb-seed -threads 1 events.ndjson > duckdb.tsv
//	duckdb-seed -check vigil-alerts.ndjson duckdb.tsv
//
// The output is one line per alert group: parent entity id, agent id, host
// name, minute, distinct command lines, distinct pattern kinds (TSV, sorted).
// -check compares that with Vigil's NDJSON alerts and exits 1 on a mismatch.
package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"
)

// seedSQL mirrors the ES|QL query's semantics on this data: event.type is
// an array whose single value must be "start" (a multi-valued field makes
// ES|QL's == null), KQL() matches keyword values ignoring case, and a null
// command line is no distinct value but the kind "other".
const seedSQL = `
WITH ev AS (
  SELECT
    CAST(process.parent.entity_id AS VARCHAR) AS parent_id,
    CAST(agent.id AS VARCHAR) AS agent_id, -- DuckDB infers UUID
    CAST(host.name AS VARCHAR) AS host_name,
    date_trunc('minute', CAST("@timestamp" AS TIMESTAMPTZ)) AS win,
    process.command_line AS cl
  FROM read_ndjson(?, format = 'newline_delimited', ignore_errors = true)
  WHERE host.os.type IN ('linux', 'macos')
    AND len(event.type) = 1 AND event.type[1] = 'start'
    AND lower(process.parent.name) LIKE 'python%'
    AND process.name IN ('bash', 'dash', 'sh', 'tcsh', 'csh', 'zsh', 'ksh', 'fish', 'busybox')
    AND lower(event.action) = 'exec'
    AND len(list_filter(process.args, a -> lower(a) IN ('-c', '-cl', '-lc'))) > 0
), kinds AS (
  SELECT *, CASE
      WHEN cl LIKE '%grep%' THEN 'grep'
      WHEN cl LIKE '%find%' THEN 'find'
      WHEN cl LIKE '%curl%' THEN 'curl'
      WHEN cl LIKE '%env %' THEN 'environment_enumeration'
      WHEN cl LIKE '%wget%' THEN 'wget'
      WHEN cl LIKE '%whoami%' OR cl LIKE '%uname%' OR cl LIKE '%hostname%' THEN 'discovery'
      ELSE 'other' END AS kind
  FROM ev
)
SELECT parent_id, agent_id, host_name,
       strftime(win AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:00.000Z') AS minute,
       count(DISTINCT cl) AS lines, count(DISTINCT kind) AS kinds
FROM kinds
GROUP BY parent_id, agent_id, host_name, win
HAVING count(DISTINCT cl) >= 5 AND count(DISTINCT kind) >= 4
ORDER BY lines DESC
LIMIT 1000`

func main() {
	threads := flag.Int("threads", 0, "DuckDB threads (0: DuckDB's default, all cores)")
	check := flag.Bool("check", false, "compare Vigil's alerts (first argument) with this program's output (second)")
	flag.Parse()
	if *check {
		if flag.NArg() != 2 {
			fail("usage: duckdb-seed -check VIGIL_ALERTS.ndjson DUCKDB.tsv")
		}
		os.Exit(compare(flag.Arg(0), flag.Arg(1)))
	}
	if flag.NArg() != 1 {
		fail("usage: duckdb-seed [-threads N] EVENTS.ndjson")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		fail(err.Error())
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection, so SET applies to the query
	if *threads > 0 {
		if _, err := db.Exec(fmt.Sprintf("SET threads = %d", *threads)); err != nil {
			fail(err.Error())
		}
	}
	rows, err := db.Query(seedSQL, flag.Arg(0))
	if err != nil {
		fail(err.Error())
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var parent, agent, host, minute sql.NullString
		var lines, kinds int64
		if err := rows.Scan(&parent, &agent, &host, &minute, &lines, &kinds); err != nil {
			fail(err.Error())
		}
		out = append(out, fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%d", parent.String, agent.String, host.String, minute.String, lines, kinds))
	}
	if err := rows.Err(); err != nil {
		fail(err.Error())
	}
	sort.Strings(out)
	for _, l := range out {
		fmt.Println(l)
	}
}

// compare checks Vigil's alerts against DuckDB's groups.
func compare(alertsPath, tsvPath string) int {
	f, err := os.Open(alertsPath)
	if err != nil {
		fail(err.Error())
	}
	defer f.Close()
	var vigil []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var a map[string]any
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			fail(alertsPath + ": " + err.Error())
		}
		s := func(k string) string { v, _ := a[k].(string); return v }
		n := func(k string) int64 { v, _ := a[k].(float64); return int64(v) }
		vigil = append(vigil, fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%d", s("process.parent.entity_id"), s("agent.id"), s("host.name"),
			s("Esql.time_window_date_trunc"), n("Esql.process_command_line_count_distinct"), n("Esql.patterns_count_distinct")))
	}
	if err := sc.Err(); err != nil {
		fail(err.Error())
	}
	sort.Strings(vigil)
	data, err := os.ReadFile(tsvPath)
	if err != nil {
		fail(err.Error())
	}
	var duck []string
	if t := strings.TrimRight(string(data), "\n"); t != "" {
		duck = strings.Split(t, "\n")
	}
	sort.Strings(duck)
	if strings.Join(vigil, "\n") != strings.Join(duck, "\n") {
		fmt.Fprintf(os.Stderr, "MISMATCH: Vigil raised %d alerts, DuckDB found %d groups\nvigil:\n%s\nduckdb:\n%s\n",
			len(vigil), len(duck), strings.Join(vigil, "\n"), strings.Join(duck, "\n"))
		return 1
	}
	fmt.Fprintf(os.Stderr, "alerts match: %d groups\n", len(vigil))
	return 0
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "duckdb-seed:", msg)
	os.Exit(2)
}
