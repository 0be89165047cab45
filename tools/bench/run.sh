#!/usr/bin/env bash
# Scrape cost at scale (docs/benchmarks.md): builds mmwatch in release mode
# in build-bench/, builds the bench's helper programs, runs every workload
# against mmwatch and node_exporter's textfile collector, and rewrites the
# generated part of docs/benchmarks.md, docs/benchmarks/scale.png and
# docs/benchmarks/scale-results.json. Reports numbers, never pass/fail.
#   tools/bench/run.sh            # the full run, under 10 minutes on 2 cores
#   tools/bench/run.sh --quick    # a short trial of the whole pipeline
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/deps.sh
# The bench's own tools: the alternative it compares with, the load
# generator, the chart, the profiler.
mmwatch_install_deps prometheus-node-exporter wrk gnuplot-nox valgrind

source tools/bench/release-build.sh
bench_release_build scale_producer scrape_probe floor

PYTHONPATH=tools/bench python3 tools/bench/scale.py --build "$build" --out docs "$@"
echo "wrote docs/benchmarks.md (section \"Scrape cost at scale\"), docs/benchmarks/scale.png"
