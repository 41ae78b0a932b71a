#!/usr/bin/env bash
# Run the fuzz targets (fuzz/fuzz_targets: every puzzle parser and every reader of a file a user
# hands the page or the CLI) for RUNS executions each (default 10M), one after another, from small
# valid seeds (fuzz/make_seeds.py) plus the corpus kept from earlier runs. Not part of CI: it takes
# hours. Needs the nightly toolchain; installs cargo-fuzz if missing.
#   scripts/fuzz.sh [TARGET…]     RUNS=1000000 scripts/fuzz.sh web_model
# Prints libFuzzer's "Done N runs in S second(s)" line per target; a crash stops with its input
# saved under fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
RUNS=${RUNS:-10000000}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
python3 make_seeds.py
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" logs
  echo "fuzz: $t ($RUNS runs)"
  cargo +nightly fuzz run "$t" -- -runs="$RUNS" -max_len=4096 -print_final_stats=1 >"logs/$t.log" 2>&1 || {
    tail -40 "logs/$t.log"
    exit 1
  }
  grep -E "^Done [0-9]+ runs" "logs/$t.log"
done
