// libFuzzer target: a remote_write spool segment as a crash, a full disk or
// a stray editor could leave it. The parser yields records inside the
// bytes, each passing its checksum; a Spool opened on the file replays
// exactly those records, in order, and never more.
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
    (void)push::parse_spool_segment(in, [&](const push::SpoolRecord& r) {
        FUZZ_CHECK(r.offset + r.length <= size);
        parsed.emplace_back(in.substr(r.offset, r.length));
    });
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
    size_t i = 0;
    while (s->front(body, samples)) {
        FUZZ_CHECK(i < parsed.size() && body == parsed[i]);
        ++i;
        s->pop();
    }
    FUZZ_CHECK(i == parsed.size());
    return 0;
}
