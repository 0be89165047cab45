#include <doctest/doctest.h>

#include <crypt.h>

#include <string>

#include "base/base64.hpp"
#include "http/basic_auth.hpp"

using namespace mmwatch;
using namespace mmwatch::http;

namespace {

// A bcrypt hash made here with libxcrypt (cost 4: fast enough for a test).
std::string bcrypt(const std::string& password, int cost = 4) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    REQUIRE(crypt_gensalt_rn("$2y$", cost, nullptr, 0, salt, sizeof salt));
    crypt_data data{};
    const char* h = crypt_rn(password.c_str(), salt, &data, sizeof data);
    REQUIRE(h);
    return h;
}

std::string basic(const std::string& user_password) {
    std::string out = "Basic ";
    base::base64::append(out, user_password);
    return out;
}

AuthResult check(BasicAuth& a, const std::string& path, const std::string& auth, uint64_t now) {
    Request req;
    req.method = "GET";
    req.path = req.target = path;
    if (!auth.empty()) req.headers[req.header_count++] = {"Authorization", auth};
    return a.check(req, now);
}

}  // namespace

TEST_CASE("basic_credentials_are_decoded_and_malformed_ones_refused") {
    std::string u, p;
    CHECK(parse_basic_credentials(basic("prom:s3cr:t"), u, p));
    CHECK(u == "prom");
    CHECK(p == "s3cr:t");  // the first colon splits
    CHECK(parse_basic_credentials(basic("a:"), u, p));
    CHECK(p.empty());
    CHECK_FALSE(parse_basic_credentials("Bearer abc", u, p));
    CHECK_FALSE(parse_basic_credentials("Basic", u, p));
    CHECK_FALSE(parse_basic_credentials("Basic !!!!", u, p));
    CHECK_FALSE(parse_basic_credentials("Basic abc", u, p));  // not a multiple of 4
    CHECK_FALSE(parse_basic_credentials(basic("nocolon"), u, p));
    // Found by fuzz_tls: padding past two characters underflowed the length.
    CHECK_FALSE(parse_basic_credentials("Basic ====", u, p));
    CHECK_FALSE(parse_basic_credentials("Basic YQ==YQ==", u, p));
    CHECK_FALSE(parse_basic_credentials("Basic Y===", u, p));
}

TEST_CASE("a_right_password_is_verified_once_then_remembered_and_wrong_ones_refused") {
    AuthConfig cfg;
    cfg.users["prom"] = bcrypt("secret");
    BasicAuth a(cfg);
    CHECK(check(a, "/metrics", basic("prom:secret"), 0) == AuthResult::ok_verified);
    CHECK(check(a, "/metrics", basic("prom:secret"), 0) == AuthResult::ok_remembered);
    CHECK(check(a, "/metrics", basic("prom:wrong"), 0) == AuthResult::wrong);
    CHECK(check(a, "/metrics", basic("nobody:secret"), 0) == AuthResult::wrong);
    CHECK(check(a, "/metrics", "", 0) == AuthResult::missing);
    CHECK(check(a, "/-/healthy", "", 0) == AuthResult::missing);  // not exempt unless asked
    CHECK(a.counters()[size_t(AuthResult::ok_remembered)] == 1);
    CHECK(a.counters()[size_t(AuthResult::wrong)] == 2);
}

TEST_CASE("a_value_checked_without_a_request_is_judged_and_remembered_alike") {
    // HTTP/2's authorization field (gRPC metadata) has no HTTP/1 Request.
    AuthConfig cfg;
    cfg.users["otel"] = bcrypt("secret");
    BasicAuth a(cfg);
    const std::string path = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    CHECK(a.check(path, "", 0) == AuthResult::missing);
    CHECK(a.check(path, basic("otel:wrong"), 0) == AuthResult::wrong);
    CHECK(a.check(path, basic("otel:secret"), 0) == AuthResult::ok_verified);
    // Remembered across both forms: one credential, one bcrypt check.
    CHECK(check(a, "/metrics", basic("otel:secret"), 0) == AuthResult::ok_remembered);
    CHECK(a.check(path, basic("otel:secret"), 0) == AuthResult::ok_remembered);
}

TEST_CASE("healthy_can_be_exempted") {
    AuthConfig cfg;
    cfg.users["prom"] = bcrypt("secret");
    cfg.healthy_without_auth = true;
    BasicAuth a(cfg);
    CHECK(check(a, "/-/healthy", "", 0) == AuthResult::exempt);
    CHECK(check(a, "/metrics", "", 0) == AuthResult::missing);
}

// Wrong passwords spend the bcrypt budget; past it the answer is busy (429)
// without a check, remembered credentials still pass, and the budget comes
// back with time. Counted in checks, not asserted in seconds.
TEST_CASE("wrong_passwords_spend_the_bcrypt_budget_and_then_get_busy") {
    AuthConfig cfg;
    cfg.users["prom"] = bcrypt("secret", 6);
    BasicAuth a(cfg);
    REQUIRE(check(a, "/metrics", basic("prom:secret"), 0) == AuthResult::ok_verified);
    AuthResult r = AuthResult::wrong;
    int tries = 0;
    while (r != AuthResult::busy && tries < 1'000'000) {
        r = check(a, "/metrics", basic("prom:guess" + std::to_string(tries)), 0);
        ++tries;
    }
    CHECK(r == AuthResult::busy);
    CHECK(check(a, "/metrics", basic("prom:secret"), 0) == AuthResult::ok_remembered);
    // No time passed: still busy. (Not "a millisecond later": the last check
    // may have overdrawn the budget by less than a millisecond refills.)
    CHECK(check(a, "/metrics", basic("prom:guess"), 0) == AuthResult::busy);
    CHECK(check(a, "/metrics", basic("prom:guess"), 10'000) == AuthResult::wrong);  // refilled
}

TEST_CASE("refusals_carry_www_authenticate_or_retry_after") {
    const Response u = BasicAuth::refusal(AuthResult::wrong);
    CHECK(u.status == 401);
    CHECK(u.extra_headers.find("WWW-Authenticate: Basic") == 0);
    const Response b = BasicAuth::refusal(AuthResult::busy);
    CHECK(b.status == 429);
    CHECK(b.extra_headers == "Retry-After: 1\r\n");
}
