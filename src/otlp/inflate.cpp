#include "otlp/inflate.hpp"

#include <zlib.h>

#include <algorithm>

namespace mmwatch::otlp {

namespace {
// Output grows in steps of this many bytes (and never past the cap + 1,
// the one byte that proves the cap was exceeded).
constexpr size_t kInflateStepBytes = 256 * 1024;
// 16 + MAX_WBITS: gzip framing only (zlib's "raw deflate" and zlib framing
// are not what Content-Encoding: gzip means).
constexpr int kGzipWindowBits = 16 + MAX_WBITS;
}  // namespace

InflateStatus gunzip(std::string_view in, std::string& out, uint64_t max_out_bytes) {
    out.clear();
    z_stream zs{};
    if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) return InflateStatus::corrupt;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = uInt(std::min<size_t>(in.size(), UINT32_MAX));
    const size_t limit = size_t(max_out_bytes) + 1;
    InflateStatus status = InflateStatus::corrupt;
    for (;;) {
        const size_t have = out.size();
        if (have >= limit) {
            status = InflateStatus::too_large;
            break;
        }
        const size_t step = std::min(kInflateStepBytes, limit - have);
        out.resize(have + step);
        zs.next_out = reinterpret_cast<Bytef*>(out.data() + have);
        zs.avail_out = uInt(step);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        out.resize(have + (step - zs.avail_out));
        if (rc == Z_STREAM_END) {
            status = out.size() > max_out_bytes ? InflateStatus::too_large : InflateStatus::ok;
            break;
        }
        if (rc != Z_OK) break;  // corrupt, or truncated (Z_BUF_ERROR: no progress possible)
    }
    inflateEnd(&zs);
    return status;
}

}  // namespace mmwatch::otlp
