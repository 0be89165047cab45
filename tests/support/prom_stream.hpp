// Reading the protobuf exposition in tests: the varint-delimited stream of
// MetricFamily messages, each handed to a callback as a protozero reader.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include <protozero/pbf_reader.hpp>

namespace mmwatch::test {

template <typename F>
size_t for_each_family(const std::string& stream, F f) {
    size_t n = 0;
    const char* p = stream.data();
    const char* end = p + stream.size();
    while (p < end) {
        const uint64_t len = protozero::decode_varint(&p, end);
        REQUIRE(len <= uint64_t(end - p));
        f(protozero::pbf_reader(p, size_t(len)));
        p += len;
        ++n;
    }
    return n;
}

}  // namespace mmwatch::test
