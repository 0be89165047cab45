// libFuzzer target: HTTP/1.x request parsing. Checks that every view the
// parser returns lies inside the caller's buffer, that `consumed` never
// passes the input, that errors carry one of the statuses the server sends,
// that a request delivered in pieces parses the same as in one piece, that
// a chunked body joins in place to its declared size without touching the
// head or what follows, and that query decoding stays inside its input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/request.hpp"

using namespace mmwatch;
using http::ParseStatus;

namespace {

void check_result(std::string_view buf, const http::Request& req, const http::ParseResult& r,
                  uint64_t max_body) {
    switch (r.status) {
        case ParseStatus::complete: {
            FUZZ_CHECK(r.consumed > 0 && r.consumed <= buf.size());
            const std::string_view used = buf.substr(0, r.consumed);
            for (auto v : {req.method, req.target, req.path, req.query, req.body}) FUZZ_CHECK(fuzz::within(v, used));
            FUZZ_CHECK(fuzz::within(req.path, req.target) && fuzz::within(req.query, req.target));
            FUZZ_CHECK(!req.method.empty() && !req.target.empty() && req.target.front() == '/');
            FUZZ_CHECK(req.minor_version >= 0 && req.minor_version <= 9);
            FUZZ_CHECK(req.header_count <= req.headers.size());
            for (size_t i = 0; i < req.header_count; ++i) {
                FUZZ_CHECK(!req.headers[i].name.empty());
                FUZZ_CHECK(fuzz::within(req.headers[i].name, used) && fuzz::within(req.headers[i].value, used));
            }
            // A chunked body is the raw framing; content_length is its decoded size.
            FUZZ_CHECK((req.chunked ? req.body.size() >= req.content_length : req.body.size() == req.content_length) &&
                       req.body.size() <= max_body);
            FUZZ_CHECK(req.body.data() + req.body.size() == used.data() + used.size() || req.body.empty());
            break;
        }
        case ParseStatus::incomplete:
            FUZZ_CHECK(r.consumed == 0);
            break;
        case ParseStatus::error: {
            const int s = r.error_status();
            FUZZ_CHECK(s == 400 || s == 413 || s == 431 || s == 501 || s == 505);
            FUZZ_CHECK(r.error != http::Error::none && !r.message().empty());
            FUZZ_CHECK(r.consumed == 0);
            break;
        }
    }
}

void parse_and_check(std::string_view buf, size_t max_head, uint64_t max_body) {
    http::Request req;
    const auto r = http::parse_request(buf, req, max_head, max_body);
    check_result(buf, req, r, max_body);
    // Nothing may wait forever: more bytes than the caps allow turn an
    // incomplete request into a complete one or an error (checked with the
    // small caps only, where that padding is cheap).
    if (r.status == ParseStatus::incomplete && max_head + max_body < 4096) {
        std::string more(buf);
        more.append(max_head + size_t(max_body), 'x');
        http::Request longer;
        FUZZ_CHECK(http::parse_request(more, longer, max_head, max_body).status != ParseStatus::incomplete);
    }
    if (r.status != ParseStatus::complete) return;
    // A client that sends the same bytes in pieces: every shorter prefix is
    // incomplete, and exactly the consumed bytes give the same request.
    for (size_t k : {r.consumed - 1, r.consumed / 2, size_t(0)}) {
        http::Request part;
        const auto pr = http::parse_request(buf.substr(0, k), part, max_head, max_body);
        FUZZ_CHECK(pr.status == ParseStatus::incomplete);
    }
    // Resumed parses (one state, growing prefixes, as the server feeds it)
    // end in the same request as one parse of the whole.
    for (size_t k : {size_t(1), r.consumed / 3, r.consumed / 2, r.consumed - 1}) {
        http::ParseState st;
        http::Request inc;
        std::string grow(buf.substr(0, std::min(k, r.consumed)));
        auto ir = http::parse_request(grow, inc, max_head, max_body, st);
        FUZZ_CHECK(ir.status == ParseStatus::incomplete || k >= r.consumed);
        grow.assign(buf);
        ir = http::parse_request(grow, inc, max_head, max_body, st);
        FUZZ_CHECK(ir.status == ParseStatus::complete && ir.consumed == r.consumed);
        FUZZ_CHECK(inc.header_count == req.header_count && inc.body.size() == req.body.size());
    }
    http::Request again;
    const auto ar = http::parse_request(buf.substr(0, r.consumed), again, max_head, max_body);
    FUZZ_CHECK(ar.status == ParseStatus::complete && ar.consumed == r.consumed);
    FUZZ_CHECK(again.header_count == req.header_count && again.keep_alive == req.keep_alive);

    // The body joined in place, as the connection does before the handler:
    // exactly the decoded size, inside the raw framing; head and the bytes
    // after the request unchanged.
    if (req.chunked) {
        std::string copy(buf);
        http::Request joined;
        FUZZ_CHECK(http::parse_request(copy, joined, max_head, max_body).status == ParseStatus::complete);
        const size_t body_at = size_t(joined.body.data() - copy.data());
        const size_t raw = joined.body.size();
        http::join_chunked_body(copy, joined);
        FUZZ_CHECK(joined.body.size() == joined.content_length && joined.body.data() == copy.data() + body_at);
        FUZZ_CHECK(copy.compare(0, body_at, buf, 0, body_at) == 0);
        FUZZ_CHECK(copy.compare(body_at + raw, std::string::npos, buf, body_at + raw) == 0);
    }

    // Query decoding: never longer than its input; absent key is false.
    std::string out;
    for (std::string_view key : {"format", "name", ""}) {
        if (http::query_param(req.query, key, out)) FUZZ_CHECK(out.size() <= req.query.size());
    }
    FUZZ_CHECK(!http::query_param(req.query, "no such key\n", out));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view buf(reinterpret_cast<const char*>(data), size);
    parse_and_check(buf, base::kMaxRequestHeadBytes, base::kDefaultMaxBodyBytes);
    // Small caps reach the 413 and 431 paths with short inputs.
    parse_and_check(buf, 64, 16);
    return 0;
}
