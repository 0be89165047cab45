// mmwatch: parses the command line, builds the Daemon and runs it.
#include <malloc.h>

#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "daemon/daemon.hpp"
#include "daemon/version.h"
#include "daemon/options.hpp"
#include "top/top.hpp"

namespace {

int run(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (!args.empty() && args[0] == "top")  // the terminal client, src/top/
        return mmwatch::top::run({args.begin() + 1, args.end()});
    std::string error;
    const auto options = mmwatch::daemon::parse_options(args, error);
    if (!options) {
        std::fprintf(stderr, "mmwatch: %s\n", error.c_str());
        return 2;
    }
    if (options->help) {
        std::fputs(mmwatch::daemon::usage().c_str(), stdout);
        return 0;
    }
    if (options->version) {
        std::printf("mmwatch %s\n", MMWATCH_VERSION);
        return 0;
    }
    mmwatch::daemon::Daemon daemon(*options);
    if (!daemon.start(error)) {
        std::fprintf(stderr, "mmwatch: %s\n", error.c_str());
        return 2;
    }
    const char* scheme = daemon.tls() ? "https" : "http";
    std::fprintf(stderr, "mmwatch: listening on %s://%s\n", scheme, daemon.bound_address().c_str());
    if (!daemon.otlp_bound_address().empty())
        std::fprintf(stderr, "mmwatch: OTLP listening on %s://%s\n", scheme, daemon.otlp_bound_address().c_str());
    if (!daemon.grpc_bound_address().empty())
        std::fprintf(stderr, "mmwatch: OTLP gRPC listening on %s://%s\n", scheme, daemon.grpc_bound_address().c_str());
    daemon.run();
    return 0;
}

}  // namespace

// glibc's malloc: blocks of at least this many bytes get their own mapping,
// given back to the system when freed, and the heap's free top is given
// back past it too. glibc's default starts there but raises the threshold
// to the largest block freed (up to 32 MiB), after which the sampler's
// batch (13 MB at 100,000 series, once per push) and each render's body
// are carved from the heap and their pages stay resident. Pinned, steady
// RSS pushing 100,000 series fell from 62 to 41 MiB (docs/benchmarks.md).
// Process-wide policy, so set here rather than in a limits header.
constexpr int kMallocMmapThresholdBytes = 128 << 10;
constexpr int kMallocTrimThresholdBytes = 128 << 10;
// And no fastbins (M_MXFAST 0): glibc keeps small freed blocks (label
// sets, short vectors) there unsorted and sorts them all into its free
// lists at the next large allocation (malloc_consolidate), so a query
// freeing 100,000 series' label sets, even a part a slice, held the loop
// 3 to 7 ms in some later slice (tools/bench/promql_slices, docs/query.md
// "Slicing"). Without them a small block is merged as it is freed; the
// per-thread cache still serves the hot sizes.
constexpr int kMallocFastbinMaxBytes = 0;

// Nothing escapes start-up: whatever throws there (memory, a library) is one
// line and exit status 2, like every other start-up failure. The loop's
// callbacks have their own guard (base/guard.hpp).
int main(int argc, char** argv) {
#ifdef __GLIBC__
    // Large short-lived blocks go back to the system when freed (above).
    mallopt(M_MMAP_THRESHOLD, kMallocMmapThresholdBytes);
    mallopt(M_TRIM_THRESHOLD, kMallocTrimThresholdBytes);
    mallopt(M_MXFAST, kMallocFastbinMaxBytes);
#endif
    try {
        return run(argc, argv);
    } catch (const std::bad_alloc&) {
        std::fputs("mmwatch: out of memory\n", stderr);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mmwatch: %s\n", e.what());
    } catch (...) {
        std::fputs("mmwatch: unexpected error\n", stderr);
    }
    return 2;
}
