// Pure HTTP/1.x request parsing over a byte span: no IO, no allocation.
// parse_request() returns complete / incomplete / error; the caller owns
// the buffer and its cap (an incomplete request at the cap is an error of
// its own: 413 or 431, never a hang).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/content_coding.hpp"
#include "base/limits.hpp"

namespace mmwatch::http {

enum class ParseStatus : uint8_t { complete, incomplete, error };

struct Header {
    std::string_view name;
    std::string_view value;
};

// Views into the caller's buffer: valid while the buffer is.
struct Request {
    std::string_view method;
    std::string_view target;   // as sent: path plus optional ?query
    std::string_view path;     // target up to '?'
    std::string_view query;    // after '?', without it; empty if none
    int minor_version = 1;     // HTTP/1.<minor>
    std::array<Header, base::kMaxRequestHeaders> headers{};
    size_t header_count = 0;
    uint64_t content_length = 0;
    bool keep_alive = true;    // from version and Connection header
    std::string_view body;     // content_length bytes after the head
    // Transfer-Encoding: chunked (the OpenTelemetry JS exporter sends it):
    // parse_request() leaves `body` the raw chunked framing, validated, and
    // content_length the decoded size; join_chunked_body() then makes
    // `body` the data, so a handler never sees the framing.
    bool chunked = false;

    [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
};

// Why a request was refused; each has one status and one message in the
// table in request.cpp (error_status(), error_message()).
enum class Error : uint8_t {
    none,
    malformed_request_line,
    empty_method,
    invalid_method,
    target_not_absolute_path,
    invalid_target_character,
    malformed_version,
    unsupported_version,       // 505
    obsolete_folding,
    malformed_header_line,
    invalid_header_name,
    invalid_header_value,
    too_many_headers,          // 431, kMaxRequestHeaders
    head_too_large,            // 431, kMaxRequestHeadBytes
    invalid_content_length,
    unsupported_transfer_encoding,  // 501
    ambiguous_framing,         // Content-Length and Transfer-Encoding
    body_too_large,            // 413, --max-body-bytes
    malformed_chunk_size,
    chunk_missing_crlf,
    malformed_trailer,
};
inline constexpr size_t kErrorCount = size_t(Error::malformed_trailer) + 1;
[[nodiscard]] int error_status(Error e) noexcept;
[[nodiscard]] std::string_view error_message(Error e) noexcept;

struct ParseResult {
    ParseStatus status = ParseStatus::incomplete;
    size_t consumed = 0;       // head + body bytes when complete
    Error error = Error::none;

    // 400, 413, 431, 501 or 505 when status == error.
    [[nodiscard]] int error_status() const noexcept { return http::error_status(error); }
    [[nodiscard]] std::string_view message() const noexcept { return error_message(error); }

    [[nodiscard]] static ParseResult failure(Error why) noexcept {
        ParseResult r;
        r.status = ParseStatus::error;
        r.error = why;
        return r;
    }
};

// Value of one hex digit, or -1 (percent-encoding, chunk sizes).
[[nodiscard]] constexpr int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Where a chunked body's scan stopped: the next element starts at `pos`.
struct ChunkScan {
    size_t pos = 0;              // bytes of framing and data validated
    uint64_t decoded = 0;        // data bytes among them
    bool in_trailer = false;     // the last chunk was seen; trailer lines follow
};

// What a parse of an incomplete request learned, so the next call with more
// bytes (the same buffer, grown) resumes instead of starting over: every
// byte is looked at a bounded number of times, however it is split.
// Reset it (= {}) when a request has been taken off the buffer.
struct ParseState {
    size_t skip = 0;          // leading blank-line bytes (they count toward the head cap)
    bool skip_done = false;
    size_t scanned = 0;       // bytes after `skip` known to hold no end of head
    size_t head = 0;          // skip + head bytes once the head parsed (0: not yet)
    uint64_t content_length = 0;
    bool chunked = false;
    ChunkScan chunks;
};

// Parses one request from the start of `buf`. `max_head_bytes` caps the
// request line plus headers (leading blank lines included);
// `max_body_bytes` caps Content-Length. With `state` it resumes a parse of
// a shorter prefix of the same buffer.
[[nodiscard]] ParseResult parse_request(std::string_view buf, Request& out, size_t max_head_bytes,
                                        uint64_t max_body_bytes, ParseState& state) noexcept;
[[nodiscard]] ParseResult parse_request(std::string_view buf, Request& out,
                                        size_t max_head_bytes, uint64_t max_body_bytes) noexcept;

// Scans a chunked body at the start of `buf` (after the head), resuming at
// `scan`: complete with `scan.pos` the raw size (framing included) and
// `scan.decoded` the data size, incomplete (call again with more), or an
// error (400 malformed, 413 when the body, framing included, passes
// max_body_bytes).
[[nodiscard]] ParseResult scan_chunked(std::string_view buf, uint64_t max_body_bytes, ChunkScan& scan) noexcept;
// Joins the data of a chunked body that scan_chunked() accepted, in place:
// the data moves to the start of `raw`; returns its size.
[[nodiscard]] size_t join_chunks(std::span<char> raw) noexcept;
// Makes `req.body` the body's data when it came chunked, joining it in
// place in `buffer` (the caller's bytes that `req` views); a plain body is
// left as it is. Called once on a complete request, before the handler.
void join_chunked_body(std::span<char> buffer, Request& req) noexcept;

// What the headers declare about a body: the media type (Content-Type
// without parameters or surrounding space, case as sent) and the content
// coding (Content-Encoding: none or identity, gzip, or another).
[[nodiscard]] std::string_view media_type(const Request& req) noexcept;
[[nodiscard]] base::ContentCoding content_coding(const Request& req) noexcept;

// Decodes one query parameter's value (%XX and '+'), into `out`; returns
// false when the parameter is absent. Values are percent-decoded into a
// caller buffer to keep parsing allocation-free.
[[nodiscard]] bool query_param(std::string_view query, std::string_view key, std::string& out);

}  // namespace mmwatch::http
