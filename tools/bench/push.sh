#!/usr/bin/env bash
# remote_write at 100,000 and 10,000 series against Prometheus agent mode and
# vmagent, and a fleet
# (docs/benchmarks.md, "remote_write"): a release build in build-bench/, then
# tools/bench/push.py. Reports numbers, never pass/fail.
#   tools/bench/push.sh [--quick] [--no-fleet] [--workload both|100k|10k] [--stall-seconds N]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/deps.sh
mmwatch_install_deps
source tools/bench/release-build.sh
bench_release_build scale_producer
PYTHONPATH=tools/bench python3 tools/bench/push.py --build "$build" "$@"
