#!/usr/bin/env bash
# Model quality, reproducible: train on the bundled training notes (releases
# 1.14-1.27) with seeds 1, 2, 3; score the dev notes (1.28-1.33, never used
# for training, feature selection, early stopping or the threshold); print
# each run and the mean ± spread (half the max-min range).
#
#   steps/benches/model-quality.sh
set -euo pipefail
. "$(dirname "$0")/common.sh"
step="$(release_step)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for seed in 1 2 3; do
  "$step" train --data="$train_notes" \
    --out="$out/model-$seed" --seed="$seed" >/dev/null 2>"$out/log-$seed"
  "$step" train --eval="$dev_notes" \
    --model="$out/model-$seed" >"$out/dev-$seed.json"
done
python3 - "$out" <<'PY'
import json, sys
runs = [json.load(open(f"{sys.argv[1]}/dev-{s}.json")) for s in (1, 2, 3)]
print(f"{'seed':>4} {'accuracy':>9} {'ROC AUC':>8} {'bug F1':>7} {'precision':>9} {'recall':>7} {'threshold':>9}")
for s, r in zip((1, 2, 3), runs):
    print(f"{s:>4} {r['accuracy']:9.4f} {r['roc_auc']:8.4f} {r['f1']:7.4f} {r['precision']:9.4f} {r['recall']:7.4f} {r['threshold']:9.2f}")
for k in ("accuracy", "roc_auc", "f1"):
    v = [r[k] for r in runs]
    print(f"{k:>9}: {sum(v)/3:.4f} ± {(max(v)-min(v))/2:.4f}")
PY
