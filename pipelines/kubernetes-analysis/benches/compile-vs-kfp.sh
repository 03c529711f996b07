#!/usr/bin/env bash
# Whole-process compile of the kubernetes-analysis pipeline: `kpipe compile`
# (release build) vs the kfp 1.8.22 SDK compiling the same shape
# (kfp_kubernetes_analysis.py) to Argo YAML, then `kpipe compile --target kfp`
# vs the kfp 2.17.3 SDK compiling the same shape (ka_kfp2.py) to KFP v2 IR,
# in the same run on the same machine.
#
#   pipelines/kubernetes-analysis/benches/compile-vs-kfp.sh
#
# kpipe gets ${KPIPE_RUNS:-300} runs after 20 warm-ups (a run is ~3 ms, and
# this machine's process start alone varies by a millisecond), kfp
# ${KFP_RUNS:-10} (a run is ~1 s). Medians are what the README quotes.
#
# Installs kfp==1.8.22 into ~/.cache/kpipe-bench/kfp-venv and kfp==2.17.3
# (with kfp-pipeline-spec and kfp-kubernetes 2.17.3) into
# ~/.cache/kpipe-bench/kfp2-venv on first use, and needs hyperfine and GNU
# time (Debian: apt-get install hyperfine time).
set -euo pipefail
. "$(dirname "$0")/common.sh"
venv="${KFP_VENV:-$HOME/.cache/kpipe-bench/kfp-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import kfp' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'kfp==1.8.22'
fi
cargo build -q --release -p kpipe-pipelines --bin kpipe
kpipe="$CARGO_TARGET_DIR/release/kpipe"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

venv2="${KFP2_VENV:-$HOME/.cache/kpipe-bench/kfp2-venv}"
if [ ! -x "$venv2/bin/python" ] || ! "$venv2/bin/python" -c 'import kfp.kubernetes' 2>/dev/null; then
  python3 -m venv "$venv2"
  "$venv2/bin/pip" install -q kfp==2.17.3 kfp-pipeline-spec==2.17.3 kfp-kubernetes==2.17.3
fi

# Argo: kfp 1.8.22 compiling the same shape (kfp_kubernetes_analysis.py).
kfp_cmd="env PYTHONWARNINGS=ignore $venv/bin/python pipelines/kubernetes-analysis/benches/kfp_kubernetes_analysis.py $out/kfp.yaml"
kpipe_cmd="$kpipe compile kubernetes-analysis -o $out/kpipe.yaml"
# KFP v2 IR: kfp 2.17.3 compiling the same shape (tests/fixtures/reference/
# kfp2/ka_kfp2.py, which produced the reference IR the tests compare with).
kfp2_cmd="env PYTHONWARNINGS=ignore $venv2/bin/python pipelines/kubernetes-analysis/tests/fixtures/reference/kfp2/ka_kfp2.py $out/kfp2.yaml"
kpipe2_cmd="$kpipe compile kubernetes-analysis --target kfp -o $out/kpipe-ir.yaml"

# Every output must be valid before timing it.
$kfp_cmd && $kpipe_cmd && $kfp2_cmd 2>/dev/null && $kpipe2_cmd 2>/dev/null
"$kpipe" lint --argo v3.1.6 "$out/kfp.yaml" "$out/kpipe.yaml" >/dev/null
"$kpipe" lint "$out/kfp2.yaml" "$out/kpipe-ir.yaml" >/dev/null

# Compiling again to an unchanged file leaves it alone (no write); the
# `changed` runs first put other bytes there, so kpipe replaces the file.
hyperfine -N --warmup 20 --runs "${KPIPE_RUNS:-300}" --export-json "$out/kpipe.json" \
  -n kpipe "$kpipe_cmd" -n kpipe-kfp "$kpipe2_cmd" -n kpipe-version "$kpipe --version" >&2
hyperfine -N --warmup 20 --runs "${KPIPE_RUNS:-300}" --export-json "$out/changed.json" \
  --prepare "cp pipelines/kubernetes-analysis/benches/kfp_kubernetes_analysis.py $out/kpipe.yaml" -n kpipe-changed "$kpipe_cmd" >&2
hyperfine -N --warmup 1 --runs "${KFP_RUNS:-10}" --export-json "$out/kfp.json" \
  -n kfp-1.8.22 "$kfp_cmd" -n kfp-2.17.3 "$kfp2_cmd" >&2

rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1; }
python3 - "$out/kpipe.json" "$out/kfp.json" "$out/changed.json" "$(rss $kpipe_cmd)" "$(rss $kfp_cmd)" \
  "$(rss $kpipe2_cmd)" "$(rss $kfp2_cmd)" <<'PY'
import json, sys
r = {x["command"]: x for f in sys.argv[1:4] for x in json.load(open(f))["results"]}
rss = [int(v) / 1024 for v in sys.argv[4:8]]
print(f"{'':30} {'median wall':>12} {'mean wall':>12} {'min wall':>12} {'peak RSS':>10}")
def row(name, key, kib=None):
    x = r[key]
    m = f"{kib:>7.1f}MiB" if kib is not None else f"{'':>10}"
    print(f"{name:30} {x['median']*1e3:>10.2f}ms {x['mean']*1e3:>10.2f}ms {x['min']*1e3:>10.2f}ms {m}")
row("kpipe (Argo)", "kpipe", rss[0])
row("kfp 1.8.22", "kfp-1.8.22", rss[1])
row("kpipe --target kfp", "kpipe-kfp", rss[2])
row("kfp 2.17.3", "kfp-2.17.3", rss[3])
row("kpipe (Argo), output changed", "kpipe-changed")
row("kpipe --version", "kpipe-version")
for (k, p, kr, pr) in [("kpipe", "kfp-1.8.22", rss[0], rss[1]), ("kpipe-kfp", "kfp-2.17.3", rss[2], rss[3])]:
    ratio = r[p]["median"] / r[k]["median"]
    print(f"{k} vs {p}: {ratio:.0f}x faster (median wall), {kr/pr:.3f}x the peak RSS ({kr:.1f} MiB)")
PY
