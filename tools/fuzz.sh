#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 60), one after another, one process each.
#   tools/fuzz.sh                    # every target, 60 s each
#   tools/fuzz.sh 600 fuzz_rezl      # one target, 10 minutes
# Seeds are read from tests/fuzz/corpus/<target>/ (never written); what a
# run discovers goes to build-fuzz/corpus/<target>/, crashes to
# build-fuzz/artifacts/. Prints the executions of each run; exits 1 if any
# target found a crash. See docs/testing.md.
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh
set +e  # deps.sh sets -e; a failing target must not stop the others
# The fuzzer runtime is only "recommended" by clang, so not installed by
# default (apt-get --no-install-recommends).
mmwatch_install_deps libclang-rt-dev

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_rezl fuzz_http fuzz_expo fuzz_accept fuzz_tls fuzz_spool fuzz_otlp fuzz_otlp_proto fuzz_history_segment fuzz_history_write fuzz_promql fuzz_h2 fuzz_api fuzz_top)
dir=${MMWATCH_FUZZ_BUILD:-build-fuzz}

# Longest input per target: REZL files up to 1024 metrics, HTTP heads past
# the 8 KiB cap; names are at most 255 bytes but longer costs nothing;
# history segments hold a few records; PromQL queries are short.
declare -A max_len=([fuzz_rezl]=16384 [fuzz_http]=16384 [fuzz_expo]=1024 [fuzz_accept]=1024 [fuzz_tls]=4096 [fuzz_spool]=8192 [fuzz_otlp]=8192 [fuzz_otlp_proto]=8192 [fuzz_history_segment]=16384 [fuzz_history_write]=8192 [fuzz_promql]=512 [fuzz_h2]=16384 [fuzz_api]=1024 [fuzz_top]=8192)

if [ ! -f "$dir/build.ninja" ]; then
  CXX=clang++ CC=clang meson setup "$dir" -Dfuzzers=true -Dbuildtype=debugoptimized >"$dir.setup.log" 2>&1 ||
    { cat "$dir.setup.log"; exit 1; }
fi
ninja -C "$dir" -j2 $(printf 'tests/fuzz/%s ' "${targets[@]}") >"$dir.build.log" 2>&1 ||
  { tail -50 "$dir.build.log"; exit 1; }

status=0
for t in "${targets[@]}"; do
  work="$dir/corpus/$t"
  mkdir -p "$work" "$dir/artifacts"
  log="$dir/$t.log"
  start=$(date +%s)
  "$dir/tests/fuzz/$t" "$work" "tests/fuzz/corpus/$t" \
    -max_total_time="$seconds" -max_len="${max_len[$t]:-4096}" -timeout=10 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" >"$log" 2>&1
  rc=$?
  wall=$(( $(date +%s) - start ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "$t: ${runs:-?} executions in ${wall} s, clean (log: $log)"
  else
    echo "$t: FAILED after ${runs:-?} executions in ${wall} s (exit $rc; log: $log)"
    grep -m5 -E 'ERROR|invariant failed|runtime error|Test unit written' "$log"
    status=1
  fi
done
exit $status
