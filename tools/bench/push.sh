#!/usr/bin/env bash
# remote_write at 100,000 series against Prometheus agent mode, and a fleet
# (docs/benchmarks.md, "remote_write"): a release build in build-bench/, then
# tools/bench/push.py. Reports numbers, never pass/fail.
#   tools/bench/push.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/deps.sh
mmwatch_install_deps
build=build-bench
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=release -Dtests=false >"$build.setup.log" 2>&1 ||
    { cat "$build.setup.log"; exit 1; }
fi
ninja -C "$build" >"$build.build.log" 2>&1 || { tail -50 "$build.build.log"; exit 1; }
mkdir -p "$build/bench"
"${CXX:-c++}" -std=c++20 -O2 -Wall -Wextra -Iinclude tools/bench/scale_producer.cpp -o "$build/bench/scale_producer"
PYTHONPATH=tools/bench python3 tools/bench/push.py --build "$build" "$@"
