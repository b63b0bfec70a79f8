#!/usr/bin/env bash
# Build cost of the hooks attributes (issue #13, "Measure in the repository").
#
# Usage: benches/buildcost/run.sh [N] [RUNS]     (defaults: 100 components, 3 rounds)
#
# Generates (generate.sh, beside this script) two crates of N components x 5 hooks each, in
# target/buildcost/ws: `with_attrs` declares the hooks with `#[derive(Hooks)]`, `#[hooks]` and the
# method attributes and runs them with `run_hooks`; `by_hand` has the same structs and methods and
# calls them directly in the same order. Both depend on the workspace's hooks-runtime by path, as a
# user's crate does. Then, in the default dev profile (debug, incremental), with dependencies warm:
#
#   1. warm-up: builds both once (dependencies included), runs both, checks that they print the same
#      checksum and ran 5 x N hooks;
#   2. RUNS rounds, each timing, for each crate, (a) a touched rebuild (`touch src/main.rs`, `cargo
#      build`) and (b) a cold build of the crate alone (`cargo clean -p <crate>` and its incremental
#      directory removed; dependencies stay built);
#   3. the medians, the per-round ratios with_attrs / by_hand and their median, against the
#      issue's goals (touched <= 1.5x, cold <= 2x), and the load average before each round;
#   4. runs both binaries again and fails unless their checksums match.
#
# Times are wall-clock seconds of the `cargo build` command (cargo's own start-up and fingerprint
# checks included, the same for both crates). It uses its own target directory (target/buildcost/
# target, or $BUILDCOST_DIR/target) so that it neither disturbs nor is disturbed by the workspace's
# build, and `--offline`: every dependency comes from the local registry cache, at the versions of
# the workspace's Cargo.lock. The build runs alongside whatever else the machine does: read the load
# average it prints, and compare ratios, not seconds, across runs.
set -euo pipefail
export LC_ALL=C

n=${1:-100}
runs=${2:-3}
[[ $n =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || {
  echo "usage: $0 [N components (default 100)] [RUNS rounds (default 3)]" >&2
  exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${BUILDCOST_DIR:-$repo/target/buildcost}
ws=$out/ws
export CARGO_TARGET_DIR=$out/target
crates=(with_attrs by_hand)
logs=$out/logs
mkdir -p "$logs"

die() {
  echo "buildcost: $*" >&2
  exit 1
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

# `cargo build` of one generated crate; on failure its output, then exit.
build() {
  local crate=$1 log=$logs/$1.log
  if ! cargo build --offline --manifest-path "$ws/Cargo.toml" -p "$crate" > "$log" 2>&1; then
    cat "$log" >&2
    die "cargo build -p $crate failed (log: $log)"
  fi
}

# Seconds taken by `build CRATE`, with two decimals.
timed_build() {
  local t0=$EPOCHREALTIME
  build "$1"
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}

# Removes the crate's own artifacts and incremental cache; dependencies stay built.
clean_crate() {
  cargo clean --offline --quiet --manifest-path "$ws/Cargo.toml" -p "$1" > "$logs/$1.clean.log" 2>&1 ||
    { cat "$logs/$1.clean.log" >&2; die "cargo clean -p $1 failed"; }
  rm -rf "$CARGO_TARGET_DIR"/debug/incremental/"$1"-*
  [[ ! -e $CARGO_TARGET_DIR/debug/$1 ]] || die "cargo clean -p $1 left its binary"
}

# Runs both binaries; fails unless they agree and ran every hook. Prints the shared output.
check_outputs() {
  local with_attrs by_hand
  with_attrs=$("$CARGO_TARGET_DIR/debug/with_attrs") || die "with_attrs failed"
  by_hand=$("$CARGO_TARGET_DIR/debug/by_hand") || die "by_hand failed"
  if [[ $with_attrs != "$by_hand" ]]; then
    echo "  with_attrs: $with_attrs" >&2
    echo "  by_hand:    $by_hand" >&2
    die "CHECKSUM MISMATCH: the two crates did not run the same hooks in the same order"
  fi
  [[ $with_attrs == "components=$n hooks_run=$((5 * n)) "* ]] || die "unexpected output: $with_attrs"
  echo "$with_attrs"
}

# Median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# `met` or `NOT met` for a ratio against a goal.
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g) ? "met" : "NOT met" }'; }

# Optional: lines and bytes of each crate after macro expansion. Needs `-Zunpretty=expanded`, which
# stable rustc accepts only with RUSTC_BOOTSTRAP=1; run on the side (rustc alone, against the
# warm hooks-runtime rlib), so cargo's fingerprints are untouched. Skipped if it fails.
expanded_size() {
  local rlib crate lines=() bytes=() file
  rlib=$(ls -t "$CARGO_TARGET_DIR"/debug/deps/libhooks_runtime-*.rlib 2> /dev/null | head -1) || true
  [[ -n $rlib ]] || { echo "expanded size: not available (no hooks-runtime rlib)"; return; }
  for crate in "${crates[@]}"; do
    file=$logs/$crate.expanded.rs
    if ! RUSTC_BOOTSTRAP=1 rustc --edition 2021 --crate-type bin --crate-name "$crate" -Zunpretty=expanded \
      -L "dependency=$CARGO_TARGET_DIR/debug/deps" --extern "hooks_runtime=$rlib" \
      "$ws/$crate/src/main.rs" > "$file" 2> "$logs/$crate.expanded.log"; then
      echo "expanded size: not available (rustc -Zunpretty=expanded failed, see $logs/$crate.expanded.log)"
      return
    fi
    lines+=("$(wc -l < "$file")")
    bytes+=("$(wc -c < "$file")")
  done
  printf 'expanded source (rustc -Zunpretty=expanded): with_attrs %d lines / %d KiB, by_hand %d lines / %d KiB: %sx the lines\n' \
    "${lines[0]}" "$((bytes[0] / 1024))" "${lines[1]}" "$((bytes[1] / 1024))" "$(ratio "${lines[0]}" "${lines[1]}")"
}

echo "buildcost: N = $n components x 5 hooks, $runs rounds, dev profile (debug, incremental)"
echo "  repository $repo at $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- hooks-core hooks-macros hooks-runtime || echo ' (crates modified)')"
echo "  $(rustc --version), $(nproc) cores, CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
echo "  load average at start: $(load)"

rm -rf "$ws"
bash "$here/generate.sh" "$ws" "$n" "$repo"
cp "$repo/Cargo.lock" "$ws/Cargo.lock"
echo "  generated $ws: with_attrs $(wc -l < "$ws/with_attrs/src/main.rs") lines, by_hand $(wc -l < "$ws/by_hand/src/main.rs") lines"

echo
echo "warm-up: building both (dependencies included) ..."
t0=$EPOCHREALTIME
for crate in "${crates[@]}"; do
  build "$crate"
  if grep -q '^warning' "$logs/$crate.log"; then
    echo "  $crate builds with warnings:" && grep -A5 '^warning' "$logs/$crate.log" | head -20
  fi
done
echo "  done in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s; both print: $(check_outputs)"

declare -A touched cold
for ((round = 1; round <= runs; round++)); do
  echo
  echo "round $round/$runs (load average $(load))"
  for crate in "${crates[@]}"; do
    touch "$ws/$crate/src/main.rs"
    touched[$crate]+="$(timed_build "$crate") "
  done
  for crate in "${crates[@]}"; do
    clean_crate "$crate"
    cold[$crate]+="$(timed_build "$crate") "
  done
  # This round's figures are the last word of each list.
  tw=${touched[with_attrs]% } tw=${tw##* } tb=${touched[by_hand]% } tb=${tb##* }
  cw=${cold[with_attrs]% } cw=${cw##* } cb=${cold[by_hand]% } cb=${cb##* }
  printf '  touched rebuild: with_attrs %6.2f s  by_hand %6.2f s  ratio %sx\n' "$tw" "$tb" "$(ratio "$tw" "$tb")"
  printf '  cold build:      with_attrs %6.2f s  by_hand %6.2f s  ratio %sx\n' "$cw" "$cb" "$(ratio "$cw" "$cb")"
  touched_ratios+=("$(ratio "$tw" "$tb")")
  cold_ratios+=("$(ratio "$cw" "$cb")")
done

echo
echo "checking the binaries of the last build: $(check_outputs)"

# shellcheck disable=SC2086 # the lists are space-separated numbers
{
  tw=$(median ${touched[with_attrs]}) tb=$(median ${touched[by_hand]})
  cw=$(median ${cold[with_attrs]}) cb=$(median ${cold[by_hand]})
}
tr=$(median "${touched_ratios[@]}") cr=$(median "${cold_ratios[@]}")
echo
echo "medians of $runs rounds (N = $n components x 5 hooks; seconds of \`cargo build\`, dependencies warm;"
echo "ratio = median of the per-round ratios with_attrs / by_hand):"
printf '  %-16s %11s %9s %8s  %-28s  %s\n' "" "with_attrs" "by_hand" "ratio" "per-round ratios" "goal (issue #13)"
printf '  %-16s %9.2f s %7.2f s %7.2fx  %-28s  <= 1.5x: %s\n' "touched rebuild" "$tw" "$tb" "$tr" \
  "${touched_ratios[*]}" "$(verdict "$tr" 1.5)"
printf '  %-16s %9.2f s %7.2f s %7.2fx  %-28s  <= 2x: %s\n' "cold build" "$cw" "$cb" "$cr" \
  "${cold_ratios[*]}" "$(verdict "$cr" 2)"
echo "load average at end: $(load)"
echo
printf 'binaries: with_attrs %d KiB, by_hand %d KiB\n' \
  "$(($(stat -c %s "$CARGO_TARGET_DIR/debug/with_attrs") / 1024))" "$(($(stat -c %s "$CARGO_TARGET_DIR/debug/by_hand") / 1024))"
expanded_size
