#!/usr/bin/env bash
# Parse + index a ~650 MiB, 90,000-item issues dump: kpipe (release build,
# streaming, 2 parser threads on 2 cores) vs Python `json.load` + the original
# project's per-item loop. Same run, same machine; wall time and peak RSS.
#
#   steps/benches/parse-vs-python.sh [DUMP]   (generated on first use)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
dump="${1:-$CARGO_TARGET_DIR/bench-data/issues-90k.json}"
cargo build -q --release -p kpipe-steps --bench parse
bench=$(ls -t "$CARGO_TARGET_DIR"/release/deps/parse-* | grep -v '\.d$' | head -n 1)
if [ ! -s "$dump" ]; then
  mkdir -p "$(dirname "$dump")"
  "$bench" generate "$dump" 90000
fi
hyperfine -N --warmup 1 --runs "${RUNS:-3}" --export-json /tmp/kpipe-parse.json \
  -n kpipe "$bench parse $dump" -n python "python3 steps/benches/python_parse.py $dump" >&2
rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }
k_rss=$(rss "$bench" parse "$dump")
p_rss=$(rss python3 steps/benches/python_parse.py "$dump")
python3 - "$k_rss" "$p_rss" "$dump" <<'PY'
import json, os, sys
r = {x["command"]: x for x in json.load(open("/tmp/kpipe-parse.json"))["results"]}
k, p = r["kpipe"], r["python"]
kr, pr = int(sys.argv[1]) / 1024, int(sys.argv[2]) / 1024
print(f"dump: {os.path.getsize(sys.argv[3]) / 2**20:.0f} MiB")
print(f"kpipe   {k['mean']:6.2f}s  peak RSS {kr:7.0f} MiB")
print(f"python  {p['mean']:6.2f}s  peak RSS {pr:7.0f} MiB")
print(f"kpipe: {k['mean']/p['mean']:.2f}x Python's wall time, {kr/pr:.2f}x its peak memory")
PY
