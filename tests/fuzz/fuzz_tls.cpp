// libFuzzer target: what a hostile client can send a TLS listener before
// and instead of a handshake, and the Authorization header. Bytes go to a
// server TlsSession (a self-signed certificate made once): plaintext out is
// never more than ciphertext in, a failed session stays failed, and
// nothing is decrypted before a handshake completed. The same bytes as an
// Authorization value: parse_basic_credentials never yields more than
// its input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/basic_auth.hpp"
#include "http/tls.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certs.hpp"

using namespace mmwatch;

namespace {

http::TlsContext& context() {
    static test::TempDir dir;
    static std::unique_ptr<http::TlsContext> ctx = [] {
        const std::string cert = dir.file("c.crt"), key = dir.file("c.key");
        if (!test::make_self_signed("fuzz", key, cert)) __builtin_trap();
        std::string error;
        auto c = http::TlsContext::create({cert, key}, error);
        if (!c) __builtin_trap();
        return c;
    }();
    return *ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    http::TlsSession s(context().for_new_connection(0));
    FUZZ_CHECK(s.valid());
    std::string plain, out;
    // In two pieces, as two reads would deliver them.
    const size_t half = size / 2;
    auto st = s.feed(in.data(), half, plain, out);
    if (st == http::TlsSession::Status::ok) st = s.feed(in.data() + half, size - half, plain, out);
    FUZZ_CHECK(plain.size() <= size);
    if (!s.established()) FUZZ_CHECK(plain.empty());
    std::string user, password;
    if (http::parse_basic_credentials(in, user, password)) FUZZ_CHECK(user.size() + password.size() < size);
    return 0;
}
