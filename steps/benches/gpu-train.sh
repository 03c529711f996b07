#!/usr/bin/env bash
# GPU training check, in two halves.
#
# Here (no GPU needed): build a stripped release kpipe-step with CUDA and
# stage it with the training data in target/gpu-check/:
#
#   steps/benches/gpu-train.sh build
#
# On the GPU machine (the `device` tool carries target/gpu-check/):
#
#   target/gpu-check/gpu-train.sh run
#
# `run` prints the GPU, trains with --device cuda and --device cpu on the
# same data, and prints both times and the dev metrics of the CUDA model.
set -euo pipefail
mode="${1:-build}"
if [ "$mode" = build ]; then
  cd "$(dirname "$0")/../.."
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
  # burn 0.21's CUDA backend compiles kernels with NVRTC at run time; it needs
  # the driver's libcuda and libnvrtc there, nothing at build time.
  cargo build --release -p kpipe-steps --bin kpipe-step --features cuda
  stage=target/gpu-check
  mkdir -p "$stage"
  cp "$CARGO_TARGET_DIR/release/kpipe-step" "$stage/kpipe-step"
  cp pipelines/kubernetes-analysis/data/release-notes-train-1.14-1.27.jsonl pipelines/kubernetes-analysis/data/release-notes-dev-1.28-1.33.jsonl "$stage/"
  cp "$0" "$stage/gpu-train.sh"
  ls -la "$stage"
  exit 0
fi
cd "$(dirname "$0")"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
ls /usr/local/cuda*/lib64/libnvrtc* 2>/dev/null | head -3 || true
for device in cuda cpu; do
  start=$(date +%s.%N)
  ./kpipe-step train --data=release-notes-train-1.14-1.27.jsonl --out="model-$device" --device="$device" --seed=1
  end=$(date +%s.%N)
  echo "train --device $device: $(echo "$end - $start" | bc) s"
done
./kpipe-step train --eval=release-notes-dev-1.28-1.33.jsonl --model=model-cuda
./kpipe-step predict --model=model-cuda --test
