#!/usr/bin/env bash
# End-to-end benchmark on one file: vigil hunt on 1 thread and on all cores,
# the EQL event and sequence rules of bench/eql on 1 thread, DuckDB running
# the seed rule as SQL on 1 thread and all cores (its alerts checked against
# Vigil's), and cat / grep as the floor. Each run is timed
# with /usr/bin/time -v (wall time, CPU time, peak RSS).
# Usage: bench/run.sh [FILE]   (default bench/out/events.ndjson; make it with bench/gen.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-bench/out/events.ndjson}
[ -f "$file" ] || { echo "no $file: run bench/gen.sh first" >&2; exit 2; }
out=bench/out
mkdir -p "$out"
go build -o "$out/vigil" ./cmd/vigil
duck=""
if (cd bench/duckdb && go build -o "../out/duckdb-seed" .) 2>"$out/duckdb-build.log"; then
	duck="$out/duckdb-seed"
else
	echo "DuckDB baseline not built (see $out/duckdb-build.log)" >&2
fi
bytes=$(stat -c %s "$file")
events=$(grep -c '' "$file")
cores=$(nproc)
now=2026-11-21T00:00:00Z
cat "$file" > /dev/null # warm the page cache

results="$out/results.tsv"
printf 'what\twall_s\tcpu_s\tMB/s\tevents/s\tpeak_rss_MiB\n' > "$results"
# run NAME CMD...: time CMD (stdout to $out/NAME.out) and record a row.
run() {
	local name=$1; shift
	local dest="$out/$name.out"
	[ "$name" = cat ] && dest=/dev/null # the floor: reading the file, no writing
	# Every run reads from the page cache: this VM reclaims it quickly, so
	# warm the file again right before each one (untimed).
	cat "$file" > /dev/null
	/usr/bin/time -v -o "$out/$name.time" "$@" > "$dest"
	local wall user sys rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$out/$name.time")
	user=$(awk -F': ' '/User time/ {print $2}' "$out/$name.time")
	sys=$(awk -F': ' '/System time/ {print $2}' "$out/$name.time")
	rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out/$name.time")
	awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v b="$bytes" -v e="$events" 'BEGIN {
		if (w <= 0) w = 0.01
		printf "%s\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\n", n, w, u + s, b / w / 1e6, e / w, r / 1024 }' >> "$results"
}

run cat cat "$file"
run grep grep -ci python "$file"
run vigil-1 "$out/vigil" hunt --threads 1 -q --now "$now" "$file"
run vigil-all "$out/vigil" hunt -q --now "$now" "$file"
run vigil-1-noprefilter "$out/vigil" hunt --threads 1 --no-prefilter -q --now "$now" "$file"
# Lines the prefilter rejects are read only up to their skim fields unless
# --strict-json asks for every line to be validated whole.
run vigil-1-strict "$out/vigil" hunt --threads 1 --strict-json -q --now "$now" "$file"
# Windows close once the newest event is --lateness past them; the default
# (10m) holds ten minutes of groups, a shorter allowance keeps memory smaller.
run vigil-1-lateness5m "$out/vigil" hunt --threads 1 --lateness 5m -q --now "$now" "$file"
run vigil-all-lateness5m "$out/vigil" hunt --lateness 5m -q --now "$now" "$file"
cmp -s "$out/vigil-1.out" "$out/vigil-1-lateness5m.out" || { echo "FAIL: alerts differ with --lateness 5m" >&2; exit 1; }
cmp -s "$out/vigil-1.out" "$out/vigil-all.out" || { echo "FAIL: alerts differ between 1 and $cores threads" >&2; exit 1; }
cmp -s "$out/vigil-1.out" "$out/vigil-1-noprefilter.out" || { echo "FAIL: alerts differ with the prefilter off" >&2; exit 1; }
cmp -s "$out/vigil-1.out" "$out/vigil-1-strict.out" || { echo "FAIL: alerts differ with --strict-json" >&2; exit 1; }
# EQL rules run on their own sequential pass (one thread whatever --threads):
# an event query and a sequence over the same data (bench/eql), each also
# with the prefilter off, which must not change its alerts.
for r in python_shell_event python_shell_sequence; do
	run "eql-$r" "$out/vigil" hunt --threads 1 -q --now "$now" --rules "bench/eql/$r.toml" "$file"
	run "eql-$r-noprefilter" "$out/vigil" hunt --threads 1 --no-prefilter -q --now "$now" --rules "bench/eql/$r.toml" "$file"
	cmp -s "$out/eql-$r.out" "$out/eql-$r-noprefilter.out" || { echo "FAIL: $r alerts differ with the prefilter off" >&2; exit 1; }
done
if [ -n "$duck" ]; then
	run duckdb-1 "$duck" -threads 1 "$file"
	run duckdb-all "$duck" "$file"
	"$duck" -check "$out/vigil-1.out" "$out/duckdb-1.out"
	cmp -s "$out/duckdb-1.out" "$out/duckdb-all.out" || { echo "FAIL: DuckDB results differ between thread counts" >&2; exit 1; }
fi
echo "file: $file ($bytes bytes, $events events); $cores cores; $(uptime | sed 's/.*load/load/')"
column -t -s $'\t' "$results"
