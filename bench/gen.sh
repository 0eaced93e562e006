#!/usr/bin/env bash
# Generates the benchmark data set with Vigil's own sample generator:
# Elastic-Defend-shaped process events (~1.5 KB a line), background activity
# scaled by --hosts/--duration/--rate plus the scripted Python backdoor
# bursts. Usage: bench/gen.sh [SIZE_MB] [OUT]   (default 1260 MB, bench/out/events.ndjson)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1260}
out=${2:-bench/out/events.ndjson}
mkdir -p "$(dirname "$out")" bench/out
vigil=${VIGIL:-bench/out/vigil}
[ -n "${VIGIL:-}" ] || go build -o "$vigil" ./cmd/vigil
# ~1,500 bytes an event. Size scales the time span, not the fleet: 850
# hosts at 4 events/host/minute (~200k events an hour), so a bigger file is
# a longer hunt at the same event rate, as exported history is.
hosts=850
events=$(( size_mb * 1000000 / 1500 ))
minutes=$(( (events + hosts * 4 - 1) / (hosts * 4) ))
"$vigil" sample --hosts "$hosts" --duration "${minutes}m" --rate 4 --seed 1 --python-share 0.41 -o "$out"
bytes=$(stat -c %s "$out")
lines=$(wc -l < "$out")
python=$(grep -ci python "$out" || true)
echo "$out: $bytes bytes, $lines events, $python lines mention python ($(( python * 100 / lines ))%)"
