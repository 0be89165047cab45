#!/usr/bin/env bash
# OTLP over gRPC against OTLP/HTTP, the same 1,000-point protobuf requests
# from h2load (docs/benchmarks.md, "OTLP over gRPC"): a release build in
# build-bench/, then tools/bench/otlp_grpc.py. Reports numbers, never pass/fail.
#   tools/bench/otlp_grpc.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
source tools/deps.sh
mmwatch_install_deps
source tools/bench/release-build.sh
bench_release_build
PYTHONPATH=tools/bench python3 tools/bench/otlp_grpc.py --build "$build" "$@"
