// The seqlock histogram: writers (serialized by a mutex) bump a sequence to
// odd, update counts, sum and count, and bump it back to even; readers copy
// the words and retry if the sequence was odd or moved. Readers never block
// the writer and always get a consistent snapshot.
//
// Every guarded word is a std::atomic accessed with relaxed operations and
// ordered by fences (Boehm, "Can seqlocks get along with programming
// language memory models?", 2012), so there is no data race under the C++
// memory model: a plain struct copy here would be undefined behaviour.
//
// The order, which ARM needs (x86 keeps stores in order and loads in order):
//   writer: seq = odd (relaxed); release fence; words (relaxed); seq = even (release)
//   reader: s1 = seq (acquire); words (relaxed); acquire fence; seq == s1? (relaxed)
// A reader that saw even s1 sees every word written before it (release store
// to acquire load); one that saw any word of a write in progress sees seq
// moved (release fence to acquire fence) and retries.
#include <atomic>
#include <bit>
#include <mutex>
#include <thread>

#include "inproc/atomic.hpp"
#include "mmwatch/metrics.hpp"

namespace mmwatch::inproc {

namespace {

// Spins before a reader yields: a writer preempted mid-update (likely with
// more threads than cores) would otherwise keep readers spinning a whole
// time slice.
constexpr unsigned kSpinsBeforeYield = 64;

inline void relax(unsigned spins) noexcept {
    if (spins >= kSpinsBeforeYield) {
        std::this_thread::yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    asm volatile("yield");
#endif
}

class SeqlockHistogram final : public Histogram {
public:
    explicit SeqlockHistogram(std::vector<double> bounds)
        : Histogram(std::move(bounds)),
          words_count_(kFirstBucket + this->bounds().size() + 1),
          words_(new std::atomic<uint64_t>[words_count_]) {
        for (size_t i = 0; i < words_count_; ++i) words_[i].store(0, std::memory_order_relaxed);
    }

    void observe(double v) noexcept override {
        if (v != v) return;  // NaN
        const size_t bucket = kFirstBucket + bucket_index(v);
        std::lock_guard lock(write_mu_);
        const uint64_t s = seq_.load(std::memory_order_relaxed);
        seq_.store(s + 1, std::memory_order_relaxed);
        // Orders the odd sequence before the data stores: a reader that
        // sees any new word then sees the sequence moved.
        std::atomic_thread_fence(std::memory_order_release);
        bump(kCount, 1);
        const double sum = std::bit_cast<double>(words_[kSum].load(std::memory_order_relaxed)) + v;
        words_[kSum].store(std::bit_cast<uint64_t>(sum), std::memory_order_relaxed);
        bump(bucket, 1);
        seq_.store(s + 2, std::memory_order_release);
    }

    void stats_into(HistogramStats& out) const override {
        const size_t buckets = words_count_ - kFirstBucket;
        out.bucket_counts.resize(buckets);
        for (unsigned spins = 0;; ++spins) {
            const uint64_t s1 = seq_.load(std::memory_order_acquire);
            if (s1 & 1) {
                relax(spins);
                continue;
            }
            out.count = words_[kCount].load(std::memory_order_relaxed);
            out.sum = std::bit_cast<double>(words_[kSum].load(std::memory_order_relaxed));
            for (size_t i = 0; i < buckets; ++i) {
                out.bucket_counts[i] = words_[kFirstBucket + i].load(std::memory_order_relaxed);
            }
            // Orders the data loads before the re-check of the sequence.
            std::atomic_thread_fence(std::memory_order_acquire);
            if (seq_.load(std::memory_order_relaxed) == s1) return;
            relax(spins);
        }
    }

private:
    static constexpr size_t kCount = 0;
    static constexpr size_t kSum = 1;  // a double's bits
    static constexpr size_t kFirstBucket = 2;

    // Only the writer (holding write_mu_) stores, so load + store is exact.
    void bump(size_t i, uint64_t n) noexcept {
        words_[i].store(words_[i].load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    std::mutex write_mu_;
    // Its own cache line, apart from the writer's mutex and the data.
    alignas(64) std::atomic<uint64_t> seq_{0};
    size_t words_count_;
    std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

}  // namespace

std::shared_ptr<Histogram> SeqlockProvider::make_histogram(std::vector<double> bounds) const {
    return std::make_shared<SeqlockHistogram>(std::move(bounds));
}

}  // namespace mmwatch::inproc
