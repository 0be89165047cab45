#!/usr/bin/env bash
# Installs the Debian packages mmwatch builds and tests with, once. Sourced
# by tools/demo and tools/run-tests; safe to run again (does nothing when
# everything is there).
set -euo pipefail

MMWATCH_DEBS=(
  g++ clang meson ninja-build pkg-config
  libuv1-dev libsimdjson-dev doctest-dev zlib1g-dev libdeflate-dev libprotozero-dev libssl-dev libcrypt-dev libyaml-cpp-dev openssl libsnappy-dev libzstd-dev libcurl4-openssl-dev protobuf-compiler
  python3 python3-prometheus-client curl netcat-openbsd apache2-utils
  prometheus victoria-metrics
  help2man debhelper dpkg-dev fakeroot lintian systemd
)

mmwatch_install_deps() {
  local missing=()
  for p in "${MMWATCH_DEBS[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # node and npm run the OpenTelemetry JS SDK end-to-end test. Machines of
  # this kind ship them (nodesource's nodejs); Debian's are the fallback.
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
