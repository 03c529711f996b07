# What the kubernetes-analysis benchmark scripts share; sourced
# (`. "$(dirname "$0")/common.sh"`), not run. It moves to the repository
# root, where the scripts' paths start.

cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

# kpipe_bins: sets `bin` (the directory of kpipe and kpipe-step) and
# `profile`: KPIPE_BIN_DIR's binaries as they are, else both built with
# PROFILE (release by default; `debug` for the debug binaries).
kpipe_bins() {
  profile="${PROFILE:-release}"
  if [ -n "${KPIPE_BIN_DIR:-}" ]; then
    bin="$KPIPE_BIN_DIR"
    profile="$(basename "$bin")"
  else
    local flag=--release
    [ "$profile" = debug ] && flag=
    cargo build -q $flag -p kpipe-pipelines -p kpipe-steps --bins
    bin="$CARGO_TARGET_DIR/$profile"
  fi
}
