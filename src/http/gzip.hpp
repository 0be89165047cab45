// Content-Encoding: gzip for the bodies mmwatch serves. The whole body is
// compressed at once (it is rendered whole and shared), with libdeflate at
// its fastest level: docs/http.md, "Compression", has the measurements
// behind that choice.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct libdeflate_compressor;

namespace mmwatch::http {

// libdeflate's level 1: at 100,000 series about 1.5x faster than zlib's
// level 1 and 7% smaller (docs/benchmarks.md, "Compression").
inline constexpr int kGzipLevel = 1;

// Owns a compressor (about 100 KiB of tables at level 1), made on first use.
class GzipEncoder {
public:
    GzipEncoder() = default;
    GzipEncoder(const GzipEncoder&) = delete;
    GzipEncoder& operator=(const GzipEncoder&) = delete;
    ~GzipEncoder();

    // `body` as one gzip member; null if memory ran out.
    [[nodiscard]] std::shared_ptr<const std::string> encode(std::string_view body);

private:
    libdeflate_compressor* compressor_ = nullptr;
};

}  // namespace mmwatch::http
