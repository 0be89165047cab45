#!/usr/bin/env bash
# Scrape cost by exposition format at 100,000 series (docs/benchmarks.md,
# "Exposition formats"): a release build in build-bench/, then
# tools/bench/formats.py. Reports numbers, never pass/fail.
#   tools/bench/formats.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/deps.sh
mmwatch_install_deps
source tools/bench/release-build.sh
bench_release_build scale_producer
PYTHONPATH=tools/bench python3 tools/bench/formats.py --build "$build" "$@"
