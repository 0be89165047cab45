// The tick's snapshot copy per 8-byte word: guarded_copy (one relaxed
// 64-bit atomic load per word: a plain load on x86_64 and arm64, LDREXD on
// 32-bit ARM) against memcpy, which promises no whole-word reads. Run on
// each architecture (under qemu-user the numbers are the emulator's: read
// them as ratios only). docs/format.md, "32-bit ARM".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bench_util.hpp"
#include "files/guarded_copy.hpp"

namespace {

// 64 Ki words (512 KiB): a few hundred metrics files' data, past L1 and L2
// on small boards, so the copy reads memory as a tick does.
constexpr size_t kWords = 64 * 1024;
constexpr int kRounds = 200;

// The fastest of kRounds copies, per word: the machine's cost without the
// preemptions a shared or loaded machine adds to a mean.
template <typename Copy>
double best_ns_per_word(Copy copy) {
    double best = 1e300;
    for (int r = 0; r < kRounds; ++r) {
        const auto t0 = mmwatch::bench::Clock::now();
        copy();
        const auto t1 = mmwatch::bench::Clock::now();
        best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
    return best / double(kWords);
}

}  // namespace

int main() {
    if (!mmwatch::files::install_fault_handler()) return 1;
    std::vector<uint64_t> src(kWords), dst(kWords);
    for (size_t i = 0; i < kWords; ++i) src[i] = i * 0x9E3779B97F4A7C15ull;
    const double atomic_ns = best_ns_per_word([&] {
        if (!mmwatch::files::guarded_copy(dst.data(), src.data(), kWords)) std::abort();
        mmwatch::bench::keep(dst);
    });
    const double memcpy_ns = best_ns_per_word([&] {
        std::memcpy(dst.data(), src.data(), kWords * 8);
        mmwatch::bench::keep(dst);
    });
    std::printf("snapshot copy of %zu words, best of %d, ns per word: guarded_copy %.3f, memcpy %.3f, ratio %.2f\n",
                kWords, kRounds, atomic_ns, memcpy_ns, atomic_ns / memcpy_ns);
    return 0;
}
