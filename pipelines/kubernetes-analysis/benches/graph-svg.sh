#!/usr/bin/env bash
# Whole-process `kpipe graph --format svg` on generated pipelines (release
# build of the `generated` example: the kpipe command line with generated
# pipelines registered), against Graphviz drawing the same graphs from
# `kpipe graph --format dot` (`dot -Tsvg`), in the same run.
#
#   pipelines/kubernetes-analysis/benches/graph-svg.sh
#
# generated-N: seeded random edges (each task consumes 1-3 of the 30 tasks
# before it); scale-10000: the shape of benches/scale.rs, edges spanning
# up to half the graph (the long ones run in lanes). Needs hyperfine and
# GNU time; Graphviz is optional (Debian: apt-get install hyperfine time
# graphviz) and skipped past DOT_MAX tasks (default 2000: it takes minutes).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cargo build -q --release -p kpipe-pipelines --example generated
gen="$CARGO_TARGET_DIR/release/examples/generated"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

printf '%-16s %12s %12s %10s %10s %s\n' pipeline "mean wall" "max wall" "peak RSS" "SVG" "dot -Tsvg (same graph)"
for name in generated-200 generated-2000 generated-10000 scale-10000; do
  cmd="$gen graph $name --format svg -o $out/$name.svg"
  hyperfine -N --warmup 2 --runs "${RUNS:-10}" --export-json "$out/t.json" "$cmd" >/dev/null 2>&1
  rss=$(/usr/bin/time -f '%M' $cmd 2>&1 >/dev/null | tail -n 1)
  dot_time="–"
  n="${name##*-}"
  if command -v dot >/dev/null && [ "$n" -le "${DOT_MAX:-2000}" ]; then
    "$gen" graph "$name" --format dot -o "$out/$name.dot"
    start=$(date +%s.%N)
    dot -Tsvg "$out/$name.dot" -o "$out/$name-dot.svg"
    dot_time=$(python3 -c "import sys; print(f'{(float(sys.argv[2]) - float(sys.argv[1])) * 1e3:.0f} ms')" "$start" "$(date +%s.%N)")
  fi
  python3 - "$out/t.json" "$rss" "$out/$name.svg" "$name" "$dot_time" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))["results"][0]
size = os.path.getsize(sys.argv[3]) / 1024 / 1024
print(f"{sys.argv[4]:<16} {r['mean']*1e3:>10.1f}ms {r['max']*1e3:>10.1f}ms {int(sys.argv[2])/1024:>7.1f}MiB {size:>7.1f}MiB {sys.argv[5]}")
PY
done
