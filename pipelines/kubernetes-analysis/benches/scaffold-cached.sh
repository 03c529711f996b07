#!/usr/bin/env bash
# A new user's loop: the crate `kpipe new demo` writes, built in debug (its
# binary is ~100+ MiB of unoptimised code), rerunning its pipeline with every
# step cached, whole process (`demo run --local`). The first run, which runs
# the steps and fills the cache, is not counted; every counted run must say
# `cached` for each step. Exits 1 when the median is over the 0.3 s target.
#
#   pipelines/kubernetes-analysis/benches/scaffold-cached.sh            # RUNS=20
#
# Needs hyperfine (Debian: apt-get install hyperfine). Builds the debug
# `kpipe` and the new crate against this checkout, offline, in
# CARGO_TARGET_DIR (so kpipe's dependencies are built once).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cargo build -q -p kpipe-pipelines --bin kpipe
kpipe="$CARGO_TARGET_DIR/debug/kpipe"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && "$kpipe" new demo >/dev/null)
cp Cargo.lock "$work/demo/Cargo.lock"
(cd "$work/demo" && env -u RUSTFLAGS cargo build -q --offline)
demo="$CARGO_TARGET_DIR/debug/demo"
size=$(du -m "$demo" | cut -f1)
cd "$work/demo"
"$demo" run --local >"$work/first.log" 2>&1 || { cat "$work/first.log" >&2; exit 1; }
# Every step of a rerun is cached.
"$demo" run --local >"$work/again.log" 2>&1 || { cat "$work/again.log" >&2; exit 1; }
for step in generate fit; do
  if ! grep -E "^\s*$step\s+cached" "$work/again.log" >/dev/null; then
    echo "step $step was not cached on the rerun:" >&2
    cat "$work/again.log" >&2
    exit 1
  fi
done
hyperfine -N --warmup 2 --runs "${RUNS:-20}" --export-json "$work/runs.json" \
  -n "demo run --local (cached)" "$demo run --local" >&2
python3 - "$work/runs.json" "$size" <<'PY'
import json, statistics, sys
t = json.load(open(sys.argv[1]))["results"][0]["times"]
med = statistics.median(t)
print(f"debug `demo` ({sys.argv[2]} MiB), fully cached rerun (n={len(t)}): median {med * 1000:.0f} ms, max {max(t) * 1000:.0f} ms (target 300 ms)")
sys.exit(1 if med > 0.3 else 0)
PY
