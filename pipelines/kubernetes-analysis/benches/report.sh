#!/usr/bin/env bash
# What writing report.html adds to a local run: `kpipe run --local` of
# kubernetes-analysis (release build), the first run training for real and
# RUNS more with every step cached; each run prints `report: PATH (written
# in N ms)`, timed inside kpipe around rendering and writing the page (26
# charts embedded as data URIs, 9 logs, the graph). The anchor is the run's
# own wall time in the same process (`total` in its summary).
#
#   pipelines/kubernetes-analysis/benches/report.sh          # RUNS=10 by default
set -euo pipefail
. "$(dirname "$0")/common.sh"
kpipe_bins
kpipe="$bin/kpipe"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

samples="$work/samples"
for i in $(seq 0 "${RUNS:-10}"); do
  out=$("$kpipe" run kubernetes-analysis --local --workdir "$work/run" 2>/dev/null)
  report=$(sed -n 's/^report: .* (written in \([0-9]*\) ms)$/\1/p' <<<"$out")
  total=$(awk '$1 == "total" { sub(/s$/, "", $2); print $2 * 1000 }' <<<"$out")
  [ -n "$report" ] && [ -n "$total" ] || { echo "unexpected output:"; echo "$out"; exit 1; } >&2
  kind=cached; [ "$i" = 0 ] && kind=first
  echo "$kind $report $total" >>"$samples"
done
size=$(stat -c %s "$work/run/report.html")
python3 - "$samples" "$size" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
first = [r for r in rows if r[0] == "first"][0]
cached = [r for r in rows if r[0] == "cached"]
rep = [float(r[1]) for r in cached]
tot = [float(r[2]) for r in cached]
print(f"report.html: {int(sys.argv[2]) / 1024 / 1024:.1f} MiB")
print(f"first run (trains): report {first[1]} ms of a {float(first[2]) / 1000:.1f} s run")
print(f"cached runs (n={len(cached)}): report median {statistics.median(rep):.0f} ms, max {max(rep):.0f} ms; "
      f"run median {statistics.median(tot):.0f} ms")
PY
