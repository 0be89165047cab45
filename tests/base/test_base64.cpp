#include <doctest/doctest.h>

#include <string>

#include "base/base64.hpp"

using namespace mmwatch;

namespace {

std::string b64(std::string_view in, bool pad = true) {
    std::string out;
    base::base64::append(out, in, pad);
    return out;
}

}  // namespace

TEST_CASE("base64_of_the_rfc_4648_test_vectors") {
    CHECK(b64("") == "");
    CHECK(b64("f") == "Zg==");
    CHECK(b64("fo") == "Zm8=");
    CHECK(b64("foo") == "Zm9v");
    CHECK(b64("foob") == "Zm9vYg==");
    CHECK(b64("fooba") == "Zm9vYmE=");
    CHECK(b64("foobar") == "Zm9vYmFy");
    CHECK(b64(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("base64_unpadded_as_grpc_sends_bin_metadata") {
    CHECK(b64("f", false) == "Zg");
    CHECK(b64("fo", false) == "Zm8");
    CHECK(b64("foo", false) == "Zm9v");
}
