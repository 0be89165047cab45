// libFuzzer target: a remote-write request body. The input is taken as the
// snappy body as sent when it starts with 0xff, else as the WriteRequest
// protobuf (then compressed here, so the decoder sees a valid snappy
// block). Into a store with a small budget: the decoder never stores
// anything from a request it calls malformed, its counts add up, and the
// store stays within its budget and reads back what it holds.
#include <snappy.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "history/iterator.hpp"
#include "history/remote_write.hpp"
#include "history/history_store.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string body;
    if (!in.empty() && uint8_t(in[0]) == 0xff) body.assign(in.substr(1));
    else snappy::Compress(in.data(), in.size(), &body);
    StoreConfig config;
    config.max_bytes = 2 << 20;
    config.max_series = 500;
    Store store(config);
    WriteScratch scratch;
    const WriteLimits limits{64 * 1024, 1000};
    const WriteResult r = receive_write_request(body, limits, store, scratch);
    FUZZ_CHECK(r.appended + r.refused <= r.samples);
    if (r.error != WriteError::none) FUZZ_CHECK(store.counters().appended == 0 && store.stats().series == 0);
    FUZZ_CHECK(store.counters().appended == r.appended);
    FUZZ_CHECK(store.bytes() <= config.max_bytes);
    std::vector<SeriesId> ids;
    store.all_series(ids);
    uint64_t held = 0;
    for (const SeriesId id : ids) {
        SampleIterator it = store.samples(id, INT64_MIN, INT64_MAX);
        while (it.next()) ++held;
    }
    FUZZ_CHECK(held <= r.appended);
    FUZZ_CHECK(store.counters().corrupt_chunks == 0);
    return 0;
}
