#!/usr/bin/env bash
# TLS against plain HTTP at 100,000 series, and handshakes per second
# (docs/benchmarks.md, "TLS"): a release build in build-bench/, then
# tools/bench/tls.py. Reports numbers, never pass/fail.
#   tools/bench/tls.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/deps.sh
mmwatch_install_deps
source tools/bench/release-build.sh
bench_release_build scale_producer
PYTHONPATH=tools/bench python3 tools/bench/tls.py --build "$build" "$@"
