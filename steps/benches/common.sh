# What the benchmark scripts share; sourced (`. "$(dirname "$0")/common.sh"`),
# not run. It moves to the repository root, where the scripts' paths start.

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# The bundled release notes: training (1.14-1.27) and dev (1.28-1.33).
train_notes=pipelines/kubernetes-analysis/data/release-notes-train-1.14-1.27.jsonl
dev_notes=pipelines/kubernetes-analysis/data/release-notes-dev-1.28-1.33.jsonl

# bench_venv VAR NAME MODULES PACKAGE...: the Python virtual environment in
# $VAR, else ~/.cache/kpipe-bench/NAME, with PACKAGEs installed the first
# time `import MODULES` fails in it; prints its path.
bench_venv() {
  local var="$1" name="$2" modules="$3"
  shift 3
  local venv="${!var:-$HOME/.cache/kpipe-bench/$name}"
  if ! "$venv/bin/python" -c "import $modules" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q "$@" >&2
  fi
  printf '%s\n' "$venv"
}

# release_step: builds kpipe-step (release, CPU) and prints its path.
release_step() {
  cargo build -q --release -p kpipe-steps --bin kpipe-step >&2
  printf '%s\n' "$CARGO_TARGET_DIR/release/kpipe-step"
}
