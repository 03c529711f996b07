#!/usr/bin/env bash
# How far the bundled data can take a model (model_ceiling.py): strong
# scikit-learn baselines trained on the training notes and scored on dev,
# and an in-distribution bound (5-fold CV over dev, each fold trained on
# the training notes plus the other dev folds). About 2 minutes.
#
#   steps/benches/model-ceiling.sh
#
# Installs scikit-learn into ~/.cache/kpipe-bench/sk-venv on first use.
set -euo pipefail
. "$(dirname "$0")/common.sh"
venv="$(bench_venv SK_VENV sk-venv sklearn 'scikit-learn==1.5.2')"
exec "$venv/bin/python" steps/benches/model_ceiling.py \
  "$train_notes" "$dev_notes"
