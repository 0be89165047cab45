#include <doctest/doctest.h>

#include <crypt.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

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

AuthResult check(BasicAuth& a, const std::string& path, const std::string& auth, uint64_t now, uint64_t client = 1) {
    Request req;
    req.method = "GET";
    req.path = req.target = path;
    if (!auth.empty()) req.headers[req.header_count++] = {"Authorization", auth};
    return a.check(req, client, now);
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
    // Checks a few seconds apart: each is within the client's share.
    CHECK(check(a, "/metrics", basic("prom:secret"), 0) == AuthResult::ok_verified);
    CHECK(check(a, "/metrics", basic("prom:secret"), 0) == AuthResult::ok_remembered);
    CHECK(check(a, "/metrics", basic("prom:wrong"), 5'000) == AuthResult::wrong);
    CHECK(check(a, "/metrics", basic("nobody:secret"), 10'000) == AuthResult::wrong);
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
    CHECK(a.check(path, "", 1, 0) == AuthResult::missing);
    CHECK(a.check(path, basic("otel:wrong"), 1, 0) == AuthResult::wrong);
    CHECK(a.check(path, basic("otel:secret"), 1, 5'000) == AuthResult::ok_verified);
    // Remembered across both forms: one credential, one bcrypt check.
    CHECK(check(a, "/metrics", basic("otel:secret"), 5'000) == AuthResult::ok_remembered);
    CHECK(a.check(path, basic("otel:secret"), 1, 5'000) == AuthResult::ok_remembered);
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

// A storm of wrong passwords from one address spends that address's share,
// not the newcomer's: a credential never seen before, from another
// address, is checked at once (its first try, not its 24th).
TEST_CASE("a_storm_from_one_address_leaves_a_new_address_its_check") {
    AuthConfig cfg;
    cfg.users["prom"] = bcrypt("secret", 6);
    BasicAuth a(cfg);
    uint64_t now = 0;
    int busy = 0;
    for (int i = 0; i < 2000; ++i, now += 1) {
        busy += check(a, "/metrics", basic("prom:guess" + std::to_string(i)), now, 666) == AuthResult::busy;
    }
    REQUIRE(busy > 0);  // the storm was throttled
    CHECK(check(a, "/metrics", basic("prom:secret"), now, 42) == AuthResult::ok_verified);
}

// Many storming addresses together still leave a share for one more.
TEST_CASE("storms_from_many_addresses_leave_a_share_for_a_new_one") {
    AuthConfig cfg;
    cfg.users["prom"] = bcrypt("secret", 6);
    BasicAuth a(cfg);
    uint64_t now = 0;
    for (int i = 0; i < 3000; ++i, now += 1) (void)check(a, "/metrics", basic("prom:g" + std::to_string(i)), now, 100 + i % 10);
    int verified = 0;
    for (int i = 0; i < 3 && verified == 0; ++i, now += 300) {
        for (int k = 0; k < 10; ++k) (void)check(a, "/metrics", basic("prom:x"), now, 100 + k);
        verified += check(a, "/metrics", basic("prom:secret"), now, 7) == AuthResult::ok_verified;
    }
    CHECK(verified == 1);
}

// An unknown user is checked against a hash of a configured user's cost,
// whatever that cost is: measured in the same way for both, in turn (so
// both see the same load), within a factor that does not depend on the
// machine's speed. A cost-4 check is about a millisecond, near the noise
// of a busy machine: more of them.
TEST_CASE("an_unknown_user_costs_what_a_configured_user_costs_at_any_cost") {
    for (const auto& [cost, n] : {std::pair{4, 25}, std::pair{9, 5}}) {
        CAPTURE(cost);
        AuthConfig cfg;
        cfg.users["prom"] = bcrypt("secret", cost);
        BasicAuth a(cfg);
        std::vector<double> known, unknown;
        const auto time_ms = [&](const std::string& credentials, int i) {
            const auto t0 = std::chrono::steady_clock::now();
            // A new address each time, far apart in time: never busy.
            REQUIRE(check(a, "/metrics", basic(credentials), uint64_t(i) * 100'000, 1000 + i) == AuthResult::wrong);
            return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        };
        for (int i = 0; i < 2 * n; i += 2) {
            known.push_back(time_ms("prom:wrong", i));
            unknown.push_back(time_ms("nobody:wrong", i + 1));
        }
        const auto median = [](std::vector<double> t) {
            std::sort(t.begin(), t.end());
            return t[t.size() / 2];
        };
        const double ratio = median(unknown) / median(known);
        CHECK(ratio > 0.5);
        CHECK(ratio < 2.0);
    }
}

TEST_CASE("refusals_carry_www_authenticate_or_retry_after") {
    const Response u = BasicAuth::refusal(AuthResult::wrong);
    CHECK(u.status == 401);
    CHECK(u.extra_headers.find("WWW-Authenticate: Basic") == 0);
    const Response b = BasicAuth::refusal(AuthResult::busy);
    CHECK(b.status == 429);
    CHECK(b.extra_headers == "Retry-After: 1\r\n");
}
