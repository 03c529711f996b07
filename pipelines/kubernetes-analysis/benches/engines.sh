#!/usr/bin/env bash
# kubernetes-analysis on the embedded defaults, whole `kpipe run --local`
# process, with every step as a process (`--engine process`, the anchor) and
# with every step in its container (`--engine podman`, the step image
# `kpipe image build` makes, as a pod would run it). Each run starts in a
# fresh work directory, so nothing is cached; the runs alternate between the
# engines. Prints each engine's median and the ratio; exits 1 when the
# containers take more than twice the processes' time. Needs podman with
# runc (as root), mmdebstrap and skopeo (.ci/run installs them).
#
#   pipelines/kubernetes-analysis/benches/engines.sh                 # release build, RUNS=3
#   PROFILE=debug pipelines/kubernetes-analysis/benches/engines.sh   # the debug binaries
#   KPIPE_BIN_DIR=DIR pipelines/kubernetes-analysis/benches/engines.sh  # kpipe and kpipe-step in DIR, no build
set -euo pipefail
. "$(dirname "$0")/common.sh"
kpipe_bins
# podman wants lower-case paths for OCI layouts it names images after.
work="${TMPDIR:-/tmp}/kpipe-engines-$$-$RANDOM"
mkdir "$work"
trap 'rm -rf "$work"' EXIT
"$bin/kpipe" image build -o "$work/image" >/dev/null 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
version=$("$bin/kpipe" --version | awk '{print $2}')
map="--image-map=ghcr.io/kpipe/kpipe-step:$version=oci:$work/image:$version"
samples="$work/samples"
# One unmeasured container run: podman copies the image into its store.
"$bin/kpipe" run kubernetes-analysis --local --workdir="$work/warm" --step-binary="$bin/kpipe-step" \
  --engine=podman "$map" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
for i in $(seq "${RUNS:-3}"); do
  for engine in process podman; do
    dir="$work/$engine-$i"
    args=(--engine="$engine")
    [ "$engine" = podman ] && args+=("$map")
    start=$(date +%s%N)
    "$bin/kpipe" run kubernetes-analysis --local --workdir="$dir" --step-binary="$bin/kpipe-step" \
      "${args[@]}" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
    end=$(date +%s%N)
    echo "$engine $(( (end - start) / 1000000 ))" >>"$samples"
    rm -rf "$dir"
  done
done
python3 - "$samples" "$profile" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {}
for engine in ("process", "podman"):
    t = [int(r[1]) / 1000 for r in rows if r[0] == engine]
    med[engine] = statistics.median(t)
    print(f"{sys.argv[2]} binaries, --engine {engine} (n={len(t)}): median {med[engine]:.1f} s, min {min(t):.1f} s, max {max(t):.1f} s")
ratio = med["podman"] / med["process"]
print(f"containers / processes: {ratio:.2f}x (target: at most 2x)")
sys.exit(1 if ratio > 2.0 else 0)
PY
