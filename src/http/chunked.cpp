// Chunked request bodies (RFC 9112 section 7.1): framing validated in place
// by scan_chunked() without copying, then the data joined in place by
// join_chunks(), so a handler reads a body whatever its framing.
#include "http/request.hpp"

#include <cstring>

namespace mmwatch::http {

namespace {

// A chunk-size line with extensions is short; more is not a client we serve.
constexpr size_t kMaxChunkLineBytes = 1024;

constexpr auto error = ParseResult::failure;

enum class Line : uint8_t { ok, incomplete, too_long };

// The line starting at `pos`, without its CRLF (or bare LF); `next` is the
// offset after it.
Line read_line(std::string_view buf, size_t pos, std::string_view& line, size_t& next) noexcept {
    const size_t nl = buf.find('\n', pos);
    if (nl == std::string_view::npos) return buf.size() - pos > kMaxChunkLineBytes ? Line::too_long : Line::incomplete;
    if (nl - pos > kMaxChunkLineBytes) return Line::too_long;
    line = buf.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    next = nl + 1;
    return Line::ok;
}

// chunk-size [ ";" extensions ]: 1..16 hex digits.
bool parse_size(std::string_view line, uint64_t& size) noexcept {
    size = 0;
    size_t i = 0;
    for (; i < line.size() && hex_digit(line[i]) >= 0; ++i) {
        if (i == 16) return false;
        size = size * 16 + uint64_t(hex_digit(line[i]));
    }
    if (i == 0) return false;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    return i == line.size() || line[i] == ';';
}

// Size of the CRLF (or LF) ending chunk data at `pos`: 0 if absent, -1 if
// more bytes are needed.
int data_end(std::string_view buf, size_t pos) noexcept {
    if (pos >= buf.size()) return -1;
    if (buf[pos] == '\n') return 1;
    if (buf[pos] != '\r') return 0;
    if (pos + 1 >= buf.size()) return -1;
    return buf[pos + 1] == '\n' ? 2 : 0;
}

}  // namespace

ParseResult scan_chunked(std::string_view buf, uint64_t max_body_bytes, ChunkScan& scan) noexcept {
    // The framing counts against the body limit: a client that sends bytes
    // past it gets 413, however it splits them into chunks. Real clients
    // send one chunk per write, a few bytes of framing per kilobytes.
    // The scan resumes at the element (size line, data, trailer line) where
    // it stopped: each byte is looked at a bounded number of times.
    const uint64_t max_raw = max_body_bytes;
    const auto over = [&] { return buf.size() > max_raw ? error(Error::body_too_large) : ParseResult{}; };
    size_t& pos = scan.pos;
    while (!scan.in_trailer) {
        if (pos > max_raw) return error(Error::body_too_large);
        std::string_view line;
        size_t next = 0;
        const Line l = read_line(buf, pos, line, next);
        if (l == Line::too_long) return error(Error::malformed_chunk_size);
        if (l == Line::incomplete) return over();
        if (next > max_raw) return error(Error::body_too_large);
        uint64_t size = 0;
        if (!parse_size(line, size)) return error(Error::malformed_chunk_size);
        if (size == 0) {
            pos = next;
            scan.in_trailer = true;
            break;
        }
        if (size > max_body_bytes - scan.decoded) return error(Error::body_too_large);
        if (buf.size() - next < size) return over();
        const int end = data_end(buf, next + size);
        if (end < 0) return over();
        if (end == 0) return error(Error::chunk_missing_crlf);
        scan.decoded += size;
        pos = next + size + size_t(end);
    }
    // Trailer fields, then the empty line.
    for (;;) {
        std::string_view line;
        size_t next = 0;
        const Line l = read_line(buf, pos, line, next);
        if (l == Line::too_long) return error(Error::malformed_trailer);
        if (l == Line::incomplete) return over();
        pos = next;
        if (pos > max_raw) return error(Error::body_too_large);
        if (line.empty()) break;
    }
    ParseResult r;
    r.status = ParseStatus::complete;
    r.consumed = pos;
    return r;
}

size_t join_chunks(std::span<char> raw) noexcept {
    // Data only ever moves towards the start (the write position trails
    // the read position by the framing read so far), so every line is read
    // before anything is written over it.
    const std::string_view in(raw.data(), raw.size());
    size_t pos = 0;
    size_t joined = 0;
    for (;;) {
        std::string_view line;
        size_t next = 0;
        uint64_t size = 0;
        if (read_line(in, pos, line, next) != Line::ok || !parse_size(line, size) || size == 0) break;
        pos = next;
        if (in.size() - pos < size) break;
        std::memmove(raw.data() + joined, raw.data() + pos, size);
        joined += size;
        pos += size;
        const int end = data_end(in, pos);
        if (end <= 0) break;
        pos += size_t(end);
    }
    return joined;
}

void join_chunked_body(std::span<char> buffer, Request& req) noexcept {
    if (!req.chunked || req.body.empty()) return;
    const std::span<char> raw = buffer.subspan(size_t(req.body.data() - buffer.data()), req.body.size());
    req.body = std::string_view(raw.data(), join_chunks(raw));
}

}  // namespace mmwatch::http
