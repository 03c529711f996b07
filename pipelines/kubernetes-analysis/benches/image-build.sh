#!/usr/bin/env bash
# A warm `kpipe image build` of kubernetes-analysis's step image (kpipe and
# kpipe-step on the cached Debian base), writing an OCI layout, whole
# process: RUNS builds with unchanged binaries (their layers come from the
# cache: read and hash only), and RUNS with a kpipe-step that changed (a
# byte appended each time, so its layer is compressed again, as after a
# rebuild). The first build, which may run mmdebstrap (~1 min, once), is not
# counted. Every unchanged build must give the first one's digest. Exits 1
# when a median is over the 5 s target.
#
#   pipelines/kubernetes-analysis/benches/image-build.sh               # release build, RUNS=5
#   PROFILE=debug pipelines/kubernetes-analysis/benches/image-build.sh # the debug binaries
#   KPIPE_BIN_DIR=DIR pipelines/kubernetes-analysis/benches/image-build.sh  # kpipe and kpipe-step in DIR, no build
set -euo pipefail
. "$(dirname "$0")/common.sh"
kpipe_bins
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

first=$("$bin/kpipe" image build -o "$work/first" 2>"$work/log") || { cat "$work/log" >&2; exit 1; }
cp "$bin/kpipe-step" "$work/kpipe-step"
samples="$work/samples"
for kind in unchanged changed; do
  for i in $(seq "${RUNS:-5}"); do
    rm -rf "$work/layout"
    args=()
    if [ "$kind" = changed ]; then
      printf x >>"$work/kpipe-step"
      args=(--program "kpipe-step=$work/kpipe-step")
    fi
    start=$(date +%s%N)
    digest=$("$bin/kpipe" image build "${args[@]}" -o "$work/layout" 2>"$work/log") || { cat "$work/log" >&2; exit 1; }
    end=$(date +%s%N)
    if [ "$kind" = unchanged ] && [ "$digest" != "$first" ]; then
      echo "not reproducible: $digest after $first" >&2
      exit 1
    fi
    echo "$kind $(( (end - start) / 1000000 ))" >>"$samples"
  done
done
size=$(du -sm "$work/first" | cut -f1)
python3 - "$samples" "$profile" "$size" "$first" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
worst = 0.0
print(f"{sys.argv[2]} binaries, image {sys.argv[3]} MiB, digest {sys.argv[4]} (every unchanged build)")
for kind in ("unchanged", "changed"):
    t = [int(r[1]) / 1000 for r in rows if r[0] == kind]
    med = statistics.median(t)
    worst = max(worst, med)
    print(f"warm build, {kind} binaries (n={len(t)}): median {med:.2f} s, max {max(t):.2f} s")
sys.exit(1 if worst > 5.0 else 0)
PY
