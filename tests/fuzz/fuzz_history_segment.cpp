// libFuzzer target: a history segment file as a crash, a full disk or a
// stray editor could leave it, read the way the daemon reloads one: in
// pieces of varying size, every record that scans applied to a store with
// a small budget. Nothing may crash or read out of bounds; the store stays
// within its budget; every series it ends up with has valid labels and
// reads back in strictly increasing time without a chunk that fails to
// decode.
//
// A mutated record almost never passes its CRC, so an input whose first
// byte is odd is taken as records to be framed here with a right CRC:
// [type byte][u16 length][body]... (the type byte as stored, so a
// "compressed" body is fed to zstd as it is). That reaches the body
// decoders: series, raw and tier entries, chunks, zstd frames.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <zlib.h>

#include "fuzz_check.hpp"
#include "history/flush.hpp"
#include "history/iterator.hpp"
#include "history/segment.hpp"
#include "history/history_store.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

namespace {

void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(char(uint8_t(v >> (8 * i))));
}

// [type][u16 length][body]... framed as records with their CRC.
std::string framed(std::string_view in) {
    std::string out;
    size_t at = 1;
    while (at + 3 <= in.size()) {
        const uint8_t type = uint8_t(in[at]);
        const size_t len = std::min<size_t>(uint8_t(in[at + 1]) | uint8_t(in[at + 2]) << 8, in.size() - at - 3);
        const std::string_view body = in.substr(at + 3, len);
        out.append(kRecordMagic, 4);
        put_u32(out, uint32_t(len));
        uLong crc = crc32(0L, &type, 1);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()));
        put_u32(out, uint32_t(crc));
        out.push_back(char(type));
        out.append(body);
        at += 3 + len;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string records = size && (data[0] & 1) ? framed({reinterpret_cast<const char*>(data), size}) : "";
    const std::string_view in = size && (data[0] & 1) ? std::string_view(records)
                                                      : std::string_view(reinterpret_cast<const char*>(data), size);
    StoreConfig config;
    config.max_bytes = 2 << 20;
    config.max_series = 1000;
    Store store(config);
    Loader loader(store, 1'700'000'000'000);
    loader.begin_segment();
    // Pieces of 1..64 bytes, sized by the input itself, like short reads.
    std::string buf;
    size_t at = 0;
    const size_t piece = size ? 1 + data[0] % 64 : 1;
    while (at < in.size()) {
        buf.append(in.substr(at, piece));
        at += piece;
        size_t used = 0;
        while (used < buf.size()) {
            const Scan s = scan_record(std::string_view(buf).substr(used));
            if (s.status == ScanStatus::need_more) break;
            FUZZ_CHECK(s.consumed > 0 && s.consumed <= buf.size() - used);
            if (s.status == ScanStatus::corrupt) loader.corrupt();
            else loader.apply(s);
            used += s.consumed;
        }
        buf.erase(0, used);
        FUZZ_CHECK(buf.size() <= kMaxRecordBytes + kRecordHeaderBytes + 64);
    }
    loader.end_segment(!buf.empty());
    store.maintain(1'700'000'000'000, 10'000);
    FUZZ_CHECK(store.bytes() <= config.max_bytes);
    std::vector<SeriesId> ids;
    std::vector<LabelView> labels;
    store.all_series(ids);
    for (const SeriesId id : ids) {
        store.labels(id, labels);
        std::vector<LabelView> copy = labels;
        FUZZ_CHECK(canonicalize(copy) == LabelError::none && copy.size() == labels.size());
        SampleIterator it = store.samples(id, INT64_MIN, INT64_MAX);
        bool first = true;
        int64_t last = 0;
        while (it.next()) {
            FUZZ_CHECK(first || it.t() > last);
            first = false;
            last = it.t();
        }
        for (const Tier tier : {Tier::minute, Tier::hour}) {
            TierIterator rows = store.rows(id, tier, INT64_MIN, INT64_MAX);
            while (rows.next()) FUZZ_CHECK(rows.row().count > 0);
        }
    }
    FUZZ_CHECK(store.counters().corrupt_chunks == 0);
    return 0;
}
