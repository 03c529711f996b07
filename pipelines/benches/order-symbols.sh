#!/usr/bin/env bash
# Regenerates pipelines/kpipe.order: the functions the `kpipe` CLI runs for
# its quick commands (compile to both targets, lint, graph, --list, --help,
# --version), in the order callgrind first meets them. pipelines/build.rs
# hands the list to lld, which lays those functions out together, so a
# start touches a few 64 KiB windows of code instead of ~60 (peak RSS of a
# compile: 7 MiB -> 4 MiB). Rerun after big changes to the compile path or
# the dependencies: symbols that no longer exist are skipped, new ones land
# wherever the linker puts them (slower, never wrong).
#
#   pipelines/benches/order-symbols.sh        # needs valgrind (Debian: valgrind)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build -q --release -p kpipe-pipelines --bin kpipe
kpipe="$CARGO_TARGET_DIR/release/kpipe"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$kpipe" compile kubernetes-analysis -o "$work/ka.yaml"
"$kpipe" compile kubernetes-analysis --target kfp -o "$work/ka-ir.yaml" 2>/dev/null
i=0
profile() {
  i=$((i + 1))
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$i" "$kpipe" "$@" >/dev/null 2>&1 || true
}
profile --version
profile --help
profile compile --help
profile compile --list
profile compile kubernetes-analysis -o "$work/out.yaml"
profile compile kubernetes-analysis --target kfp -o "$work/out.yaml"
profile compile hello -o "$work/out.yaml"
profile compile hello --kind cron --schedule "0 3 * * *" -o "$work/out.yaml"
profile compile hello --argo 4 -o "$work/out.yaml"
profile lint "$work/ka.yaml"
profile lint "$work/ka-ir.yaml"
profile graph kubernetes-analysis
profile graph kubernetes-analysis --format svg -o "$work/g.svg"
# Callgrind names each function once per file (`fn=(id) name`, `cfn=(id)
# name`, with `'N` marking recursion depth); keep Rust's mangled symbols
# (legacy `_ZN`, v0 `_R`) in first-seen order, the commands in the order
# above: the compile path first, then lint's and graph's.
for n in $(seq "$i"); do cat "$work/cg.$n"; done \
  | sed -nE "s/^c?fn=\([0-9]+\) (_ZN|_R)/\1/p" \
  | sed -E "s/'[0-9]+\$//" \
  | awk '!seen[$0]++' > pipelines/kpipe.order
echo "pipelines/kpipe.order: $(wc -l < pipelines/kpipe.order) symbols; rebuild kpipe to use them" >&2
