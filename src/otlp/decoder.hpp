// OTLP ExportMetricsServiceRequest decoding, JSON (simdjson on-demand) and
// protobuf (protozero), into one form (decoded.hpp).
// Pure: bytes in, a flat DecodedRequest out; no IO, no store. The decoded
// request is complete before anything is stored, so a 400 stores nothing
// (a client retrying it never double-counts a delta).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "otlp/decoded.hpp"

namespace mmwatch::otlp {

// Storage for canonical non-string attribute values (arena.hpp).
class Arena;

// OTLP/protobuf (decoder_proto.cpp): `body` into `out`, strings as views
// into `body`; other canonical values in `arena`.
[[nodiscard]] DecodeResult decode_protobuf(std::string_view body, DecodedRequest& out, Arena& arena, std::string& tmp,
                                           std::vector<double>& pairs);

// Owns the simdjson parser, the padded input buffer and the scratch space
// for non-string attribute values, all reused request after request.
class Decoder {
public:
    Decoder();
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    // Input buffer: fill input() with exactly the body (the gzip path
    // inflates into it), then call decode_input(), which makes sure
    // simdjson's padding fits in the capacity behind the body.
    std::string& input() noexcept { return input_; }
    [[nodiscard]] const std::string& input() const noexcept { return input_; }
    [[nodiscard]] DecodeResult decode_input(DecodedRequest& out);

    // The same for a protobuf body in input().
    [[nodiscard]] DecodeResult decode_input_protobuf(DecodedRequest& out);

    // Convenience for tests and benchmarks: copies `body` into input().
    [[nodiscard]] DecodeResult decode(std::string_view body, DecodedRequest& out);
    [[nodiscard]] DecodeResult decode_protobuf(std::string_view body, DecodedRequest& out);

    // Scratch held between requests: the input buffer, the parser's and
    // the decoded request's. Over `keep_bytes` all of it is given back (the
    // next request allocates again), so one large body does not hold its
    // buffers for good.
    [[nodiscard]] size_t scratch_bytes(const DecodedRequest& out) const noexcept;
    void release_scratch_over(size_t keep_bytes, DecodedRequest& out);

    // Parse-only pass over input(): the simdjson ceiling for the benchmark
    // (iterates every value without building anything).
    [[nodiscard]] bool parse_only(uint64_t& values_seen);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string input_;
};

}  // namespace mmwatch::otlp
