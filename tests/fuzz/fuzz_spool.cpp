// libFuzzer target: a remote_write spool segment as a crash, a full disk, a
// flipped bit or a stray editor could leave it. The scanner yields records
// inside the bytes, each passing its checksum, alike whether the segment
// is fed whole or in pieces (as the spool reads it, in chunks); a Spool
// opened on the file replays exactly those records, in order.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "push/spool.hpp"
#include "support/temp_dir.hpp"

using namespace mmwatch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> parsed;
    const uint64_t damage = push::parse_spool_segment(in, [&](const push::SpoolRecord& r) {
        FUZZ_CHECK(r.offset + r.length <= size);
        FUZZ_CHECK(r.offset >= push::kSpoolHeaderBytes);
        FUZZ_CHECK(push::spool_crc(in.substr(r.offset, r.length)) == r.crc);
        parsed.emplace_back(in.substr(r.offset, r.length));
    });
    // The same bytes in pieces whose sizes come from the input itself.
    push::SpoolScanner pieces;
    size_t i = 0;
    for (size_t at = 0, k = 0; at < size; ++k) {
        const size_t n = std::min<size_t>(size - at, 1 + (size ? data[k % size] : 0) % 97);
        pieces.feed(in.substr(at, n), [&](const push::SpoolRecord& r) {
            FUZZ_CHECK(i < parsed.size() && in.substr(r.offset, r.length) == parsed[i]);
            ++i;
        });
        at += n;
    }
    pieces.finish();
    FUZZ_CHECK(i == parsed.size());
    FUZZ_CHECK(pieces.damaged_stretches() == damage);

    test::TempDir dir;
    const std::string spool_dir = dir.file("s");
    std::string error;
    {
        auto s = push::Spool::open(spool_dir, 64 << 20, error);  // creates the directory
        FUZZ_CHECK(s);
    }
    std::ofstream(spool_dir + "/segment-000000000000000001.rws", std::ios::binary).write(in.data(), std::streamsize(size));
    auto s = push::Spool::open(spool_dir, 64 << 20, error);
    FUZZ_CHECK(s);
    std::string body;
    uint32_t samples = 0;
    i = 0;
    while (s->front(body, samples)) {
        FUZZ_CHECK(i < parsed.size() && body == parsed[i]);
        ++i;
        s->pop();
    }
    FUZZ_CHECK(i == parsed.size());
    FUZZ_CHECK(s->counters().corrupt_records == damage);
    FUZZ_CHECK(s->empty() && s->samples() == 0 && s->bytes() == 0);
    return 0;
}
