// How long a PromQL query takes whole, and how long its longest slice
// takes at the default work budget and at a smaller one (docs/query.md,
// "Slicing"). CPU time of this thread, so a loaded machine inflates
// nothing. Numbers only; it never fails.
//
//     promql_slices [series] [samples] [history]
// (default 1000 series x 240 samples at 15 s, in the engine's test
// storage; "history": in the history store, read as the daemon reads it).
// Then every slice over 2 ms at the default budget, named by where it
// started and stopped (the budget tick's source line; "end" is the last
// slice: the answer shaped and the frames freed), and the longest time
// freeing a part of a finished query took (the daemon's "release", a part
// a loop turn).
//
//     promql_slices [series] [samples] history eight
// runs the scrape benchmark's two heavy queries four times each at once,
// a slice of each in turn as the daemon does (docs/benchmarks.md).
// malloc is set as the daemon sets it; PROMQL_SLICES_FASTBINS=1 keeps
// glibc's fastbins, to compare.
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <cstring>
#include <memory>
#include <vector>

#include "api/history_storage.hpp"
#include "base/limits.hpp"
#include "history/history_store.hpp"
#include "history/sample.hpp"
#include "promql/engine.hpp"
#include "promql/memory_storage.hpp"

using namespace mmwatch;
using namespace mmwatch::promql;

namespace {

double cpu_ms() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

constexpr double kLongSliceMs = 2;

std::string where(const CodePlace& l) {
    if (l.line == 0) return "start";
    const char* file = std::strrchr(l.file, '/');
    return std::string(file ? file + 1 : l.file) + ":" + std::to_string(l.line);
}

struct LongSlice {
    double ms;
    std::string from, to;
};

struct Run {
    double total_ms = 0, longest_ms = 0, setup_ms = 0, release_ms = 0;
    uint64_t slices = 0;
    bool ok = false;
    std::vector<LongSlice> long_slices;
};

// One slice of `query`, timed, the long ones kept with where they were.
bool timed_step(Query& query, Run& r) {
    const std::string from = where(query.parked_at());
    const double t = cpu_ms();
    const bool done = query.step(0);
    const double slice = cpu_ms() - t;
    if (slice > r.longest_ms) r.longest_ms = slice;
    if (slice > kLongSliceMs) r.long_slices.push_back({slice, from, done ? "end" : where(query.parked_at())});
    return done;
}

// Frees a finished query as the daemon does (its answer and what the
// evaluation kept a part a loop turn, then the query), each part timed;
// false when it failed.
bool release(std::unique_ptr<Query> query, Run& r) {
    const bool ok = query->error() == nullptr;
    if (!ok) std::fprintf(stderr, "error: %s\n", query->error()->message.c_str());
    for (bool done = false; !done;) {
        const double t = cpu_ms();
        done = query->free_result(base::kAnswerFreeSeriesPerTurn, base::kAnswerFreePointsPerTurn);
        r.release_ms = std::max(r.release_ms, cpu_ms() - t);
    }
    const double t = cpu_ms();
    query.reset();
    r.release_ms = std::max(r.release_ms, cpu_ms() - t);
    return ok;
}

std::unique_ptr<Query> make(Storage& s, const char* q, int64_t end_ms, int64_t budget, Run& r) {
    EngineOptions o;
    o.work_per_slice = budget;
    if (budget == base::kDefaultQueryWorkPerSlice) o.slice_ns = base::kDefaultQuerySliceNs;  // as the daemon
    QueryError err;
    const double t = cpu_ms();
    auto query = Query::range(s, q, 0, end_ms, 15'000, o, &err);
    r.setup_ms = std::max(r.setup_ms, cpu_ms() - t);
    if (!query) std::fprintf(stderr, "error: %s\n", err.message.c_str());
    return query;
}

Run run(Storage& s, const char* q, int64_t end_ms, int64_t budget) {
    Run r;
    auto query = make(s, q, end_ms, budget, r);
    if (!query) return r;
    const double start = cpu_ms();
    while (!timed_step(*query, r)) {
    }
    r.total_ms = cpu_ms() - start;
    r.slices = query->slices();
    r.ok = release(std::move(query), r);
    return r;
}

void print_long(const Run& r) {
    std::printf("    setup %.2f ms, release %.2f ms, %zu slices over %.0f ms\n", r.setup_ms, r.release_ms,
                r.long_slices.size(), kLongSliceMs);
    for (const LongSlice& l : r.long_slices) std::printf("      %6.2f ms  %s -> %s\n", l.ms, l.from.c_str(), l.to.c_str());
}

// The scrape benchmark's load: its two heavy queries four times each, one
// slice of each in turn.
void eight(Storage& s, int64_t end_ms) {
    const char* heavy[] = {"sum by (job) (rate(x[5m]))", "quantile(0.9, rate(x[5m]))"};
    Run r;
    std::vector<std::unique_ptr<Query>> running;
    for (int i = 0; i < 8; ++i) running.push_back(make(s, heavy[i % 2], end_ms, base::kDefaultQueryWorkPerSlice, r));
    const double start = cpu_ms();
    uint64_t slices = 0;
    while (!running.empty()) {
        for (auto it = running.begin(); it != running.end();) {
            ++slices;
            if (!timed_step(**it, r)) {
                ++it;
                continue;
            }
            r.ok = release(std::move(*it), r);
            it = running.erase(it);
        }
    }
    std::printf("eight heavy queries at once: %.1f ms, %lu slices, longest %.2f ms\n", cpu_ms() - start,
                static_cast<unsigned long>(slices), r.longest_ms);
    print_long(r);
}

}  // namespace

int main(int argc, char** argv) {
    // The daemon's malloc policy (src/main.cpp): large blocks mapped apart,
    // no fastbins.
    mallopt(M_MMAP_THRESHOLD, 128 << 10);
    mallopt(M_TRIM_THRESHOLD, 128 << 10);
    if (!std::getenv("PROMQL_SLICES_FASTBINS")) mallopt(M_MXFAST, 0);
    const int series = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int samples = argc > 2 ? std::atoi(argv[2]) : 240;
    const bool in_history = argc > 3 && std::strcmp(argv[3], "history") == 0;
    const bool at_once = argc > 4 && std::strcmp(argv[4], "eight") == 0;
    MemoryStorage memory;
    history::StoreConfig config;
    config.max_bytes = uint64_t(1) << 30;
    history::Store store(config);
    api::HistoryStorage history_storage(store);
    Storage& storage = in_history ? static_cast<Storage&>(history_storage) : memory;
    for (int i = 0; i < series; ++i) {
        const std::string job = "j" + std::to_string(i % 10), instance = std::to_string(i);
        const Labels l = Labels::from_pairs({{"__name__", "x"}, {"job", job}, {"instance", instance}});
        const history::LabelView canonical[] = {{"__name__", "x"}, {"instance", instance}, {"job", job}};
        const history::SeriesId id = in_history ? store.series(canonical).id : 0;
        for (int k = 0; k < samples; ++k) {
            const double v = k * (i % 7 + 1.0);
            if (in_history) (void)store.append(id, k * 15'000LL, history::value_bits(v));
            else memory.append(l, k * 15'000LL, v);
        }
    }
    const int64_t end_ms = static_cast<int64_t>(samples - 1) * 15'000;
    std::printf("%d series x %d samples at 15 s in %s; range query over all of it at 15 s steps; CPU ms\n", series,
                samples, in_history ? "the history store" : "memory");
    if (at_once) {
        eight(storage, end_ms);
        return 0;
    }
    std::printf("%-48s %9s | %9s %7s %9s | %9s %7s %9s\n", "query", "whole", "default", "slices", "longest",
                "3000 u.", "slices", "longest");
    const char* queries[] = {"x", "rate(x[5m])", "sum by (job) (rate(x[5m]))", "quantile(0.9, rate(x[5m]))", "x / on(instance) group_left x", "abs(x)", "topk(5, x)",
                             "max_over_time(sum by (job)(x)[10m:30s])",
                             "histogram_quantile(0.9, sum by (le) (label_replace(x, \"le\", \"$1\", \"job\", \"j(.)\")))"};
    for (const char* q : queries) {
        const Run whole = run(storage, q, end_ms, int64_t(1) << 60);
        const Run def = run(storage, q, end_ms, base::kDefaultQueryWorkPerSlice);
        const Run small = run(storage, q, end_ms, 3000);
        std::printf("%-48.48s %9.1f | %9.1f %7lu %9.2f | %9.1f %7lu %9.2f%s\n", q, whole.total_ms, def.total_ms,
                    static_cast<unsigned long>(def.slices), def.longest_ms, small.total_ms,
                    static_cast<unsigned long>(small.slices), small.longest_ms,
                    whole.ok && def.ok && small.ok ? "" : "  (failed)");
        print_long(def);
    }
    return 0;
}
