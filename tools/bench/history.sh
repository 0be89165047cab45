#!/usr/bin/env bash
# The history store through the whole daemon against Debian's
# victoria-metrics, the same remote-write stream into both
# (docs/benchmarks.md, "History through the daemon"): a release build in
# build-bench/, then tools/bench/history_daemon.py. Numbers, never pass/fail.
#   tools/bench/history.sh [--series N] [--hours H]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/deps.sh
mmwatch_install_deps
source tools/bench/release-build.sh
bench_release_build
python3 tools/bench/history_daemon.py --mmwatch "$build/src/mmwatch" "$@"
