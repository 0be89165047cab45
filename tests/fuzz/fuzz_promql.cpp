// libFuzzer target: PromQL text from anyone (the API's query parameter).
// The parser never crashes, every error has a message, and what it
// accepts its printer writes back as text it accepts again. An accepted
// query is evaluated against a small store as an instant and as a range
// query in slices of a few units of work: no crash, no loop that does not
// yield (libFuzzer's timeout catches one), and a query still running after
// its slice allowance is destroyed half-way, which must free it cleanly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "promql/engine.hpp"
#include "promql/memory_storage.hpp"
#include "promql/parser.hpp"

using namespace mmwatch::promql;

namespace {

constexpr size_t kMaxQueryBytes = 2048;
constexpr uint64_t kMaxSlices = 20'000;
constexpr int64_t kMinute = 60'000;

MemoryStorage& store() {
    static MemoryStorage* s = [] {
        auto* m = new MemoryStorage();
        const char* jobs[] = {"api", "db"};
        for (int i = 0; i < 4; ++i) {
            const Labels total = Labels::from_pairs({{"__name__", "http_requests_total"},
                                                     {"job", jobs[i % 2]}, {"instance", std::to_string(i)}});
            const Labels bucket = Labels::from_pairs({{"__name__", "latency_bucket"}, {"job", jobs[i % 2]},
                                                      {"le", i == 3 ? "+Inf" : std::to_string(i)}});
            for (int k = 0; k < 30; ++k) {
                m->append(total, k * kMinute, k * (i + 1) - (k == 17 ? 40 : 0));
                m->append(bucket, k * kMinute, k * (i + 1));
            }
            m->append(Labels::from_pairs({{"__name__", "up"}, {"instance", std::to_string(i)}}), 10 * kMinute,
                      i == 2 ? stale_nan() : 1);
        }
        return m;
    }();
    return *s;
}

void evaluate(std::unique_ptr<Query> q) {
    if (!q) return;
    for (uint64_t slice = 0; slice < kMaxSlices; ++slice)
        if (q->step(slice)) {
            if (q->error()) FUZZ_CHECK(!q->error()->message.empty());
            return;
        }
    // Still running: destroyed mid-evaluation when q goes out of scope.
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > kMaxQueryBytes) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    EngineOptions o;
    o.parse = {true, true, true, true};
    o.work_per_slice = 13;
    o.max_samples = 50'000;
    o.timeout_ms = static_cast<int64_t>(kMaxSlices) / 2;  // step() is given the slice count as its clock
    Parsed p = parse(text, o.parse);
    if (!p.ok()) {
        FUZZ_CHECK(!p.error.message.empty());
        return 0;
    }
    const std::string printed = to_string(*p.expr);
    Parsed again = parse(printed, o.parse);
    if (!again.ok()) std::fprintf(stderr, "printed %s\n  as %s\n  -> %s\n", std::string(text).c_str(), printed.c_str(),
                                   again.error.message.c_str());
    FUZZ_CHECK(again.ok());
    QueryError err;
    evaluate(Query::instant(store(), text, 20 * kMinute, o, &err));
    evaluate(Query::range(store(), text, 0, 30 * kMinute, kMinute, o, &err));
    return 0;
}
