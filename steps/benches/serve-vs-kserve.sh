#!/usr/bin/env bash
# :predict throughput and latency, kpipe-step serve vs a real KServe 0.21
# Python ModelServer (kserve_reference.py: scikit-learn TF-IDF + logistic
# regression), same run, same machine, wrk on loopback at 1, 8 and 32
# connections (one wrk thread), 10 s each. Prints requests/s, p50/p99, errors
# and the servers' RSS.
#
#   steps/benches/serve-vs-kserve.sh
#
# Needs wrk (Debian: apt-get install wrk); installs kserve 0.21 and
# scikit-learn into ~/.cache/kpipe-bench/kserve-venv on first use.
set -euo pipefail
. "$(dirname "$0")/common.sh"
venv="$(bench_venv KSERVE_VENV kserve-venv 'kserve, sklearn' 'kserve==0.21.*' 'scikit-learn==1.5.2')"
step="$(release_step)"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
"$step" train --data="$train_notes" --out="$work/model" >/dev/null 2>&1
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body   = '{"text": "Fixed a bug where kubelet would panic when the pod spec changed during a restart."}'
wrk.headers["Content-Type"] = "application/json"
LUA
wait_up() { for _ in $(seq 120); do curl -fs "http://127.0.0.1:$1/v2/health/ready" >/dev/null 2>&1 && return 0; sleep 0.5; done; echo "server on $1 did not start" >&2; exit 1; }
bench() { # name port pid
  for c in 1 8 32; do
    out=$(wrk -t1 -c"$c" -d"${SECONDS_PER_RUN:-10}"s --latency -s "$work/post.lua" "http://127.0.0.1:$2/v1/models/kubernetes-analysis:predict")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errs=$(awk '/Non-2xx/ {print $5} /Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    printf '%-8s %4s conns  %10s req/s  p50 %8s  p99 %8s  errors: %s\n' "$1" "$c" "$rps" "$p50" "$p99" "${errs:-none}"
  done
  printf '%-8s RSS %s MiB\n' "$1" "$(($(ps -o rss= -p "$3") / 1024))"
}
"$step" serve --model="$work/model" --port=18181 2>/dev/null & pids+=($!)
wait_up 18181
bench kpipe 18181 "${pids[-1]}"
"$venv/bin/python" steps/benches/kserve_reference.py "$train_notes" 18191 >/dev/null 2>&1 & pids+=($!)
wait_up 18191
bench kserve 18191 "${pids[-1]}"
