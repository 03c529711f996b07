#!/usr/bin/env bash
# Whole-process training on the bundled training notes, same run, same
# machine: `kpipe-step train` (CPU, release build) vs the original recipe in
# Keras (keras_original.py). Prints mean wall times and the ratio.
#
#   steps/benches/train-vs-keras.sh            # 3 runs each
#
# Installs tensorflow-cpu 2.18 and scikit-learn into
# ~/.cache/kpipe-bench/keras-venv on first use; needs hyperfine.
set -euo pipefail
. "$(dirname "$0")/common.sh"
venv="$(bench_venv KERAS_VENV keras-venv 'tensorflow, sklearn' 'tensorflow-cpu==2.18.*' 'scikit-learn==1.5.2')"
step="$(release_step)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
hyperfine -N --warmup 1 --runs "${RUNS:-3}" --export-json "$out/t.json" \
  -n kpipe "$step train --data=$train_notes --out=$out/model" \
  -n keras-original "$venv/bin/python steps/benches/keras_original.py $train_notes" >&2
python3 - "$out/t.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, o = r["kpipe"], r["keras-original"]
print(f"kpipe-step train      {k['mean']:6.1f}s ± {k['stddev']:.1f}")
print(f"Keras original recipe {o['mean']:6.1f}s ± {o['stddev']:.1f}")
print(f"kpipe takes {k['mean']/o['mean']:.2f}x the Keras wall time")
PY
