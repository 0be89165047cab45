#!/usr/bin/env bash
# Installs the Debian packages mmwatch builds and tests with, once. Sourced
# by tools/demo and tools/run-tests; safe to run again (does nothing when
# everything is there).
set -euo pipefail

MMWATCH_DEBS=(
  g++ clang meson ninja-build pkg-config
  libuv1-dev libsimdjson-dev doctest-dev zlib1g-dev libdeflate-dev libprotozero-dev libssl-dev libcrypt-dev libyaml-cpp-dev openssl libsnappy-dev libzstd-dev libcurl4-openssl-dev protobuf-compiler libnghttp2-dev
  libre2-dev libncurses-dev
  python3 python3-prometheus-client curl netcat-openbsd apache2-utils
  python3-grpcio python3-h2 nghttp2-client tmux
  prometheus victoria-metrics
  help2man debhelper dpkg-dev fakeroot lintian systemd
  python3-yaml iproute2 podman runc mmdebstrap
  # the status page test: a browser and two HTML checkers (docs/status-page.md)
  chromium tidy python3-html5lib
)

# Everything the tests, benchmarks and packaging use, plus PACKAGE... .
mmwatch_install_deps() {
  local extra=()
  # node and npm run the OpenTelemetry JS SDK end-to-end test. Machines of
  # this kind ship them (nodesource's nodejs); Debian's are the fallback.
  command -v npm >/dev/null 2>&1 || extra+=(nodejs npm)
  mmwatch_install_packages "${MMWATCH_DEBS[@]}" "${extra[@]}" "$@"
}

# What building mmwatch takes, no more (tools/demo): the compiler, the build
# tools and every library of MMWATCH_DEBS (lib*-dev, zlib1g-dev; not the test
# framework), so a library added there for the daemon is installed here too.
mmwatch_build_debs() {
  local p
  printf '%s\n' g++ meson ninja-build pkg-config
  for p in "${MMWATCH_DEBS[@]}"; do
    case $p in lib*-dev | zlib1g-dev) printf '%s\n' "$p" ;; esac
  done
}

# Installs those of PACKAGE... that are not installed yet (apt-get, as root
# or through sudo); does nothing when all are.
mmwatch_install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Cross builds for arm64 and armhf (tools/cross/<arch>.ini, docs/deploy.md):
# Debian's cross toolchain, qemu-user to run what it builds, and the
# target's -dev packages installed beside the amd64 ones (multiarch).
MMWATCH_CROSS_DEBS=(
  libuv1-dev zlib1g-dev libdeflate-dev libssl-dev libcrypt-dev libsnappy-dev libzstd-dev libcurl4-openssl-dev libre2-dev libnghttp2-dev libncurses-dev
  libsimdjson14 libyaml-cpp0.7
)
# These two -dev packages are not Multi-Arch: same in Debian 12, so apt
# would remove the amd64 ones to install them. Their target files are
# unpacked into an overlay instead (with their libraries, so the links
# resolve there); the cross files name its pkgconfig directory.
MMWATCH_CROSS_OVERLAY_DEBS=(libsimdjson-dev libsimdjson14 libyaml-cpp-dev libyaml-cpp0.7)
MMWATCH_CROSS_ROOT=/opt/mmwatch-cross

# mmwatch_install_cross_deps ARCH (arm64 or armhf); safe to run again.
mmwatch_install_cross_deps() {
  local arch=$1 sudo="" triplet p
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  triplet=$(dpkg-architecture -a "$arch" -qDEB_HOST_MULTIARCH 2>/dev/null)
  local missing=()
  for p in "crossbuild-essential-$arch" qemu-user; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  for p in "${MMWATCH_CROSS_DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p:$arch" 2>/dev/null | grep -q "install ok installed" || missing+=("$p:$arch")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing for $arch: ${missing[*]}" >&2
    dpkg --print-foreign-architectures | grep -qx "$arch" || $sudo dpkg --add-architecture "$arch"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # The overlay matches the installed libraries' versions; redone when they change.
  local root="$MMWATCH_CROSS_ROOT/$triplet" want=""
  for p in "${MMWATCH_CROSS_OVERLAY_DEBS[@]}"; do
    want+="$p $(apt-cache policy "$p:$arch" | sed -n 's/^ *Candidate: //p')"$'\n'
  done
  # (Both sides through $(...), which drops the last newline alike.)
  [ -f "$root/versions" ] && [ "$(cat "$root/versions")" = "$(printf '%s' "$want")" ] && return 0
  echo "unpacking into $root: ${MMWATCH_CROSS_OVERLAY_DEBS[*]}" >&2
  local debs
  debs=$(mktemp -d)
  (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "${MMWATCH_CROSS_OVERLAY_DEBS[@]/%/:$arch}")
  $sudo rm -rf "$root"
  $sudo mkdir -p "$root"
  for p in "$debs"/*.deb; do $sudo dpkg-deb -x "$p" "$root"; done
  rm -rf "$debs"
  # The .pc files say prefix=/usr; make them name the overlay.
  $sudo sed -i "s|^prefix=/usr\$|prefix=$root/usr|" "$root/usr/lib/$triplet/pkgconfig/"*.pc
  printf '%s' "$want" | $sudo tee "$root/versions" >/dev/null
}
