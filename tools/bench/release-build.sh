# Sourced by the bench scripts (run.sh, formats.sh, tls.sh, push.sh,
# otlp_grpc.sh): a release build of mmwatch in build-bench/ and the bench's
# helper programs, which are plain programs over the format's headers, built
# here rather than by meson so the bench stays out of the project's build
# files.
#   bench_release_build HELPER...   sets $build
bench_release_build() {
  build=build-bench
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" --buildtype=release -Dtests=false >"$build.setup.log" 2>&1 ||
      { cat "$build.setup.log"; exit 1; }
  fi
  ninja -C "$build" >"$build.build.log" 2>&1 || { tail -50 "$build.build.log"; exit 1; }
  mkdir -p "$build/bench"
  local p
  for p in "$@"; do
    "${CXX:-c++}" -std=c++20 -O2 -Wall -Wextra -Iinclude "tools/bench/$p.cpp" -o "$build/bench/$p"
  done
}
