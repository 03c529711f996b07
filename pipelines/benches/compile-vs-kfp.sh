#!/usr/bin/env bash
# Whole-process compile of the kubernetes-analysis pipeline: `kpipe compile`
# (release build) vs the kfp 1.8.22 SDK compiling the same shape
# (kfp_kubernetes_analysis.py) to Argo YAML, then `kpipe compile --target kfp`
# vs the kfp 2.17.3 SDK compiling the same shape (ka_kfp2.py) to KFP v2 IR,
# in the same run on the same machine.
#
#   pipelines/benches/compile-vs-kfp.sh
#
# Installs kfp==1.8.22 into ~/.cache/kpipe-bench/kfp-venv and kfp==2.17.3
# (with kfp-pipeline-spec and kfp-kubernetes 2.17.3) into
# ~/.cache/kpipe-bench/kfp2-venv on first use, and needs hyperfine and GNU
# time (Debian: apt-get install hyperfine time).
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${KFP_VENV:-$HOME/.cache/kpipe-bench/kfp-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import kfp' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'kfp==1.8.22'
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build -q --release -p kpipe-pipelines --bin kpipe
kpipe="$CARGO_TARGET_DIR/release/kpipe"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

kfp_cmd="env PYTHONWARNINGS=ignore $venv/bin/python pipelines/benches/kfp_kubernetes_analysis.py $out/kfp.yaml"
kpipe_cmd="$kpipe compile kubernetes-analysis -o $out/kpipe.yaml"

# Both outputs must be valid Argo workflows before timing them.
$kfp_cmd && $kpipe_cmd
"$kpipe" lint --argo v3.1.6 "$out/kfp.yaml" "$out/kpipe.yaml" >/dev/null

hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$out/times.json" \
  -n kpipe "$kpipe_cmd" -n kfp-1.8.22 "$kfp_cmd" >&2

rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }
kpipe_rss=$(rss $kpipe_cmd)
kfp_rss=$(rss $kfp_cmd)

python3 - "$out/times.json" "$kpipe_rss" "$kfp_rss" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, p = r["kpipe"], r["kfp-1.8.22"]
kr, pr = int(sys.argv[2]) / 1024, int(sys.argv[3]) / 1024
print(f"{'':12} {'mean wall':>12} {'min wall':>12} {'peak RSS':>10}")
print(f"{'kpipe':12} {k['mean']*1e3:>10.2f}ms {k['min']*1e3:>10.2f}ms {kr:>7.1f}MiB")
print(f"{'kfp 1.8.22':12} {p['mean']*1e3:>10.1f}ms {p['min']*1e3:>10.1f}ms {pr:>7.1f}MiB")
print(f"kpipe is {p['mean']/k['mean']:.0f}x faster (mean wall) and uses {kr/pr:.3f}x kfp's peak RSS ({kr:.1f} MiB)")
PY

# The Kubeflow Pipelines v2 target: `kpipe compile --target kfp` (IR) vs the
# kfp 2.17.3 SDK compiling the same shape to IR (tests/fixtures/reference/kfp2/
# ka_kfp2.py, which produced the reference IR the tests compare with).
venv2="${KFP2_VENV:-$HOME/.cache/kpipe-bench/kfp2-venv}"
if [ ! -x "$venv2/bin/python" ] || ! "$venv2/bin/python" -c 'import kfp.kubernetes' 2>/dev/null; then
  python3 -m venv "$venv2"
  "$venv2/bin/pip" install -q kfp==2.17.3 kfp-pipeline-spec==2.17.3 kfp-kubernetes==2.17.3
fi
kfp2_cmd="env PYTHONWARNINGS=ignore $venv2/bin/python pipelines/tests/fixtures/reference/kfp2/ka_kfp2.py $out/kfp2.yaml"
kpipe2_cmd="$kpipe compile kubernetes-analysis --target kfp -o $out/kpipe-ir.yaml"

# Both outputs must be valid IR before timing them.
$kfp2_cmd 2>/dev/null && $kpipe2_cmd 2>/dev/null
"$kpipe" lint "$out/kfp2.yaml" "$out/kpipe-ir.yaml" >/dev/null

hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$out/times2.json" \
  -n kpipe-kfp "$kpipe2_cmd" -n kfp-2.17.3 "$kfp2_cmd" >&2

kpipe2_rss=$(rss $kpipe2_cmd)
kfp2_rss=$(rss $kfp2_cmd)

python3 - "$out/times2.json" "$kpipe2_rss" "$kfp2_rss" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, p = r["kpipe-kfp"], r["kfp-2.17.3"]
kr, pr = int(sys.argv[2]) / 1024, int(sys.argv[3]) / 1024
print(f"\n{'KFP v2 IR':12} {'median wall':>12} {'mean wall':>12} {'min wall':>12} {'peak RSS':>10}")
print(f"{'kpipe':12} {k['median']*1e3:>10.2f}ms {k['mean']*1e3:>10.2f}ms {k['min']*1e3:>10.2f}ms {kr:>7.1f}MiB")
print(f"{'kfp 2.17.3':12} {p['median']*1e3:>10.1f}ms {p['mean']*1e3:>10.1f}ms {p['min']*1e3:>10.1f}ms {pr:>7.1f}MiB")
print(f"kpipe is {p['median']/k['median']:.0f}x faster (median wall) and uses {kr/pr:.3f}x kfp's peak RSS ({kr:.1f} MiB)")
PY
