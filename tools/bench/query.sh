#!/usr/bin/env bash
# PromQL queries, mmwatch against Debian's Prometheus on the same samples,
# and /metrics' latency while 8 clients run heavy queries
# (docs/benchmarks.md, "PromQL queries"): a release build in build-bench/,
# then tools/bench/query.py. Reports numbers, never pass/fail.
#   tools/bench/query.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/deps.sh
mmwatch_install_deps
source tools/bench/release-build.sh
bench_release_build scrape_probe
python3 tools/bench/query.py --build "$build" "$@"
