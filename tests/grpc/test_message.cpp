#include <doctest/doctest.h>

#include <string>

#include "grpc/message.hpp"

using namespace mmwatch;
using namespace mmwatch::grpc;

namespace {

std::string framed(std::string_view payload, char flag = 0) {
    std::string b;
    append_prefix(b, uint32_t(payload.size()), flag == 1);
    b[0] = flag;
    b.append(payload);
    return b;
}

}  // namespace

TEST_CASE("one_message_is_read_with_its_flag") {
    Message m;
    const std::string hello = framed("hello");
    CHECK(read_unary_message(hello, 100, m) == FrameError::none);
    CHECK(m.bytes == "hello");
    CHECK(m.bytes.data() == hello.data() + 5);  // a view into the body
    CHECK_FALSE(m.compressed);
    const std::string zz = framed("zz", 1);
    CHECK(read_unary_message(zz, 100, m) == FrameError::none);
    CHECK(m.compressed);
    // An empty message is a message (an empty ExportMetricsServiceRequest).
    const std::string empty = framed("");
    CHECK(read_unary_message(empty, 100, m) == FrameError::none);
    CHECK(m.bytes.empty());
}

TEST_CASE("prefix_is_five_bytes_big_endian") {
    std::string b;
    append_prefix(b, 0x01020304);
    CHECK(b == std::string("\0\1\2\3\4", 5));
}

TEST_CASE("message_exactly_at_the_cap_is_read_and_one_byte_over_is_too_large") {
    Message m;
    CHECK(read_unary_message(framed(std::string(1000, 'x')), 1000, m) == FrameError::none);
    CHECK(read_unary_message(framed(std::string(1001, 'x')), 1000, m) == FrameError::too_large);
    // Too large is known from the prefix alone, before the bytes arrive.
    CHECK(read_unary_message(framed(std::string(1001, 'x')).substr(0, 5), 1000, m) == FrameError::too_large);
}

TEST_CASE("every_malformed_body_has_its_reason") {
    Message m;
    CHECK(read_unary_message("", 100, m) == FrameError::no_message);
    CHECK(read_unary_message(std::string("\0\0\0", 3), 100, m) == FrameError::truncated_prefix);
    CHECK(read_unary_message(framed("x", 2), 100, m) == FrameError::bad_flag);
    CHECK(read_unary_message(framed("hello").substr(0, 8), 100, m) == FrameError::truncated_message);
    CHECK(read_unary_message(framed("a") + framed("b"), 100, m) == FrameError::trailing_bytes);
    CHECK(frame_error_name(FrameError::trailing_bytes) == "trailing_bytes");
    CHECK(frame_error_message(FrameError::truncated_prefix).find("5 bytes") != std::string_view::npos);
}
