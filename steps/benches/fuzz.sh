#!/usr/bin/env bash
# The property tests of every parser of outside input with many more cases
# than the suite's: serve and bot request bodies and headers through their
# routers, update-data on mutated GitHub pages, the model loader on damaged
# files, registry challenges and image references (steps/tests/fuzz.rs);
# `kpipe lint` on arbitrary and mutated YAML (compiler/tests/fuzz.rs).
#
#   steps/benches/fuzz.sh [CASES]      # default 20000 per property
#
# A failure prints the minimal failing input; about 10 minutes at 20,000.
set -euo pipefail
cd "$(dirname "$0")/../.."
export KPIPE_FUZZ_CASES="${1:-20000}"
# cargo test, not nextest: no per-test deadline for the long runs.
status=0
cargo test -p kpipe-steps --test steps --no-fail-fast -- fuzz:: || status=1
cargo test -p kpipe-compiler --test fuzz --no-fail-fast || status=1
exit "$status"
