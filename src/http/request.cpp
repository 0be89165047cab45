// HTTP/1.x request parsing: request line, headers, Content-Length body.
// Strict where strictness protects us (no bare CR, no obsolete line
// folding, no Transfer-Encoding but chunked), lenient where clients
// differ (bare LF line endings, as typed into nc).
#include "http/request.hpp"

#include <charconv>
#include <iterator>
#include <string>

#include "base/enum_names.hpp"
#include "base/strings.hpp"

namespace mmwatch::http {

namespace {

bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
        case '-': case '.': case '^': case '_': case '`': case '|': case '~': return true;
        default: return false;
    }
}

// Finds the end of the head (the empty line). Returns the offset just past
// it, or npos. Accepts CRLF and bare LF line endings.
size_t find_head_end(std::string_view buf, size_t from) noexcept {
    for (size_t i = buf.find('\n', from); i != std::string_view::npos; i = buf.find('\n', i + 1)) {
        if (i + 1 < buf.size() && buf[i + 1] == '\n') return i + 2;
        if (i + 2 < buf.size() && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
    }
    return std::string_view::npos;
}

// Splits off one line (without its CRLF/LF) from the front of `rest`.
std::string_view next_line(std::string_view& rest) noexcept {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

constexpr auto fail = ParseResult::failure;

bool parse_request_line(std::string_view line, Request& out, ParseResult& err) noexcept {
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        err = fail(Error::malformed_request_line);
        return false;
    }
    out.method = line.substr(0, sp1);
    out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (out.method.empty()) {
        err = fail(Error::empty_method);
        return false;
    }
    for (char c : out.method) {
        if (!is_tchar(c)) {
            err = fail(Error::invalid_method);
            return false;
        }
    }
    if (out.target.empty() || out.target.front() != '/') {
        err = fail(Error::target_not_absolute_path);
        return false;
    }
    for (char c : out.target) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            err = fail(Error::invalid_target_character);
            return false;
        }
    }
    if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' || version[7] > '9') {
        err = version.substr(0, 5) == "HTTP/" ? fail(Error::unsupported_version)
                                              : fail(Error::malformed_version);
        return false;
    }
    out.minor_version = version[7] - '0';
    const size_t q = out.target.find('?');
    out.path = out.target.substr(0, q);
    out.query = q == std::string_view::npos ? std::string_view{} : out.target.substr(q + 1);
    return true;
}

bool parse_header_line(std::string_view line, Request& out, ParseResult& err) noexcept {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        err = fail(line.front() == ' ' || line.front() == '\t' ? Error::obsolete_folding
                                                                  : Error::malformed_header_line);
        return false;
    }
    const std::string_view name = line.substr(0, colon);
    for (char c : name) {
        if (!is_tchar(c)) {
            err = fail(Error::invalid_header_name);
            return false;
        }
    }
    const std::string_view value = base::trim(line.substr(colon + 1));
    for (char c : value) {
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
            err = fail(Error::invalid_header_value);
            return false;
        }
    }
    if (out.header_count == out.headers.size()) {
        err = fail(Error::too_many_headers);
        return false;
    }
    out.headers[out.header_count++] = {name, value};
    return true;
}

// Applies Content-Length, Transfer-Encoding and Connection.
bool apply_framing(Request& out, uint64_t max_body_bytes, ParseResult& err) noexcept {
    bool seen_length = false;
    out.keep_alive = out.minor_version >= 1;
    for (size_t i = 0; i < out.header_count; ++i) {
        const auto& h = out.headers[i];
        if (base::iequals(h.name, "content-length")) {
            uint64_t n = 0;
            const auto* end = h.value.data() + h.value.size();
            const auto [ptr, ec] = std::from_chars(h.value.data(), end, n);
            if (ec != std::errc{} || ptr != end || h.value.empty() || (seen_length && n != out.content_length)) {
                err = fail(Error::invalid_content_length);
                return false;
            }
            seen_length = true;
            out.content_length = n;
        } else if (base::iequals(h.name, "transfer-encoding")) {
            if (!base::iequals(h.value, "chunked") || out.chunked) {
                err = fail(Error::unsupported_transfer_encoding);
                return false;
            }
            out.chunked = true;
        } else if (base::iequals(h.name, "connection")) {
            if (base::iequals(h.value, "close")) out.keep_alive = false;
            else if (base::iequals(h.value, "keep-alive")) out.keep_alive = true;
        }
    }
    if (out.chunked && seen_length) {  // ambiguous framing: a smuggling vector
        err = fail(Error::ambiguous_framing);
        return false;
    }
    if (out.content_length > max_body_bytes) {
        err = fail(Error::body_too_large);
        return false;
    }
    return true;
}

// Each reason with its status and the message of the answer.
struct ErrorRow {
    Error value;
    int status;
    std::string_view message;
};

constexpr ErrorRow kErrors[] = {
    {Error::none, 0, "no error"},
    {Error::malformed_request_line, 400, "malformed request line"},
    {Error::empty_method, 400, "empty method"},
    {Error::invalid_method, 400, "invalid method"},
    {Error::target_not_absolute_path, 400, "request target must start with /"},
    {Error::invalid_target_character, 400, "invalid character in request target"},
    {Error::malformed_version, 400, "malformed HTTP version"},
    {Error::unsupported_version, 505, "only HTTP/1.x is supported"},
    {Error::obsolete_folding, 400, "obsolete header folding"},
    {Error::malformed_header_line, 400, "malformed header line"},
    {Error::invalid_header_name, 400, "invalid header name"},
    {Error::invalid_header_value, 400, "invalid character in header value"},
    {Error::too_many_headers, 431, "too many header lines"},
    {Error::head_too_large, 431, "request head is over the limit"},
    {Error::invalid_content_length, 400, "invalid Content-Length"},
    {Error::unsupported_transfer_encoding, 501, "Transfer-Encoding other than chunked is not supported"},
    {Error::ambiguous_framing, 400, "both Content-Length and Transfer-Encoding"},
    {Error::body_too_large, 413, "request body is over the limit"},
    {Error::malformed_chunk_size, 400, "malformed chunk size line"},
    {Error::chunk_missing_crlf, 400, "chunk data is not followed by CRLF"},
    {Error::malformed_trailer, 400, "malformed chunked trailer"},
};
static_assert(base::rows_match(kErrors, kErrorCount));

}  // namespace

int error_status(Error e) noexcept {
    const ErrorRow* i = base::enum_row(kErrors, e);
    return i ? i->status : 400;
}

std::string_view error_message(Error e) noexcept {
    const ErrorRow* i = base::enum_row(kErrors, e);
    return i ? i->message : "unknown";
}

std::string_view Request::header(std::string_view name) const noexcept {
    for (size_t i = 0; i < header_count; ++i) {
        if (base::iequals(headers[i].name, name)) return headers[i].value;
    }
    return {};
}

namespace {

// The request line and headers of a complete head, into `out`.
bool parse_head(std::string_view head, Request& out, uint64_t max_body_bytes, ParseResult& r) noexcept {
    out = Request{};
    if (!parse_request_line(next_line(head), out, r)) return false;
    for (std::string_view line = next_line(head); !line.empty(); line = next_line(head)) {
        if (!parse_header_line(line, out, r)) return false;
    }
    return apply_framing(out, max_body_bytes, r);
}

}  // namespace

ParseResult parse_request(std::string_view buf, Request& out, size_t max_head_bytes, uint64_t max_body_bytes,
                          ParseState& st) noexcept {
    // Blank lines before a request are tolerated (RFC 9112 section 2.2) but
    // count toward the head cap, so a peer sending only CRLF is refused.
    if (!st.skip_done) {
        while (st.skip < buf.size() && (buf[st.skip] == '\r' || buf[st.skip] == '\n')) ++st.skip;
        if (st.skip >= max_head_bytes) return fail(Error::head_too_large);
        if (st.skip == buf.size()) return {};
        st.skip_done = true;
    }
    ParseResult r;
    if (st.head == 0) {
        const std::string_view rest = buf.substr(st.skip);
        // The end of head is at most 3 bytes ("\n\r\n") before the new ones.
        const size_t from = st.scanned > 3 ? st.scanned - 3 : 0;
        const size_t end = find_head_end(rest, from);
        if (end == std::string_view::npos) {
            st.scanned = rest.size();
            if (st.skip + rest.size() >= max_head_bytes) return fail(Error::head_too_large);
            return {};
        }
        if (st.skip + end > max_head_bytes) return fail(Error::head_too_large);
        if (!parse_head(rest.substr(0, end), out, max_body_bytes, r)) return r;
        st.head = st.skip + end;
        st.content_length = out.content_length;
        st.chunked = out.chunked;
    }
    size_t body_bytes = 0;
    if (st.chunked) {
        const ParseResult c = scan_chunked(buf.substr(st.head), max_body_bytes, st.chunks);
        if (c.status != ParseStatus::complete) return c;
        body_bytes = st.chunks.pos;
    } else {
        if (buf.size() - st.head < st.content_length) return {};
        body_bytes = size_t(st.content_length);
    }
    // Complete: the head is parsed once more to point `out` into `buf` as it
    // is now (the caller's buffer may have moved since).
    if (!parse_head(buf.substr(st.skip, st.head - st.skip), out, max_body_bytes, r)) return r;
    if (st.chunked) out.content_length = st.chunks.decoded;
    out.body = buf.substr(st.head, body_bytes);
    r.status = ParseStatus::complete;
    r.consumed = st.head + body_bytes;
    return r;
}

ParseResult parse_request(std::string_view buf, Request& out, size_t max_head_bytes,
                          uint64_t max_body_bytes) noexcept {
    ParseState st;
    return parse_request(buf, out, max_head_bytes, max_body_bytes, st);
}

namespace {

void percent_decode(std::string_view in, std::string& out) {
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%' && i + 2 < in.size() && hex_digit(in[i + 1]) >= 0 && hex_digit(in[i + 2]) >= 0) {
            out.push_back(char(hex_digit(in[i + 1]) * 16 + hex_digit(in[i + 2])));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
}

}  // namespace

std::string_view media_type(const Request& req) noexcept {
    const std::string_view ct = req.header("Content-Type");
    return base::trim(ct.substr(0, ct.find(';')));
}

base::ContentCoding content_coding(const Request& req) noexcept {
    const std::string_view coding = base::trim(req.header("Content-Encoding"));
    if (coding.empty() || base::iequals(coding, "identity")) return base::ContentCoding::identity;
    return base::iequals(coding, "gzip") ? base::ContentCoding::gzip : base::ContentCoding::unsupported;
}

bool query_param(std::string_view query, std::string_view key, std::string& out) {
    while (!query.empty()) {
        const size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        const size_t eq = pair.find('=');
        if (pair.substr(0, eq) != key) continue;
        percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), out);
        return true;
    }
    return false;
}

}  // namespace mmwatch::http
