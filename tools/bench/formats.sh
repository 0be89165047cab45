#!/usr/bin/env bash
# Scrape cost by exposition format at 100,000 series (docs/benchmarks.md,
# "Exposition formats"): a release build in build-bench/, then
# tools/bench/formats.py. Reports numbers, never pass/fail.
#   tools/bench/formats.sh [--quick]
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
PYTHONPATH=tools/bench python3 tools/bench/formats.py --build "$build" "$@"
