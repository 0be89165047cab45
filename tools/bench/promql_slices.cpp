// How long a PromQL query takes whole, and how long its longest slice
// takes at the default work budget and at a smaller one (docs/query.md,
// "Slicing"). CPU time of this thread, so a loaded machine inflates
// nothing. Numbers only; it never fails.
//
//     promql_slices [series] [samples] [history]
// (default 1000 series x 240 samples at 15 s, in the engine's test
// storage; "history": in the history store, read as the daemon reads it).
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <cstring>
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

struct Run {
    double total_ms = 0, longest_ms = 0;
    uint64_t slices = 0;
    bool ok = false;
};

Run run(Storage& s, const char* q, int64_t end_ms, int64_t budget) {
    EngineOptions o;
    o.work_per_slice = budget;
    QueryError err;
    Run r;
    auto query = Query::range(s, q, 0, end_ms, 15'000, o, &err);
    if (!query) return r;
    const double start = cpu_ms();
    bool done = false;
    while (!done) {
        const double t = cpu_ms();
        done = query->step(0);
        const double slice = cpu_ms() - t;
        if (slice > r.longest_ms) r.longest_ms = slice;
    }
    r.total_ms = cpu_ms() - start;
    r.slices = query->slices();
    r.ok = query->error() == nullptr;
    if (!r.ok) std::fprintf(stderr, "error: %s\n", query->error()->message.c_str());
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    const int series = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int samples = argc > 2 ? std::atoi(argv[2]) : 240;
    const bool in_history = argc > 3 && std::strcmp(argv[3], "history") == 0;
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
    std::printf("%-48s %9s | %9s %7s %9s | %9s %7s %9s\n", "query", "whole", "default", "slices", "longest",
                "3000 u.", "slices", "longest");
    const char* queries[] = {"x", "rate(x[5m])", "sum by (job) (rate(x[5m]))", "quantile(0.9, rate(x[5m]))", "x / on(instance) group_left x",
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
    }
    return 0;
}
