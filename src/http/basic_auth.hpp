// HTTP basic auth against bcrypt hashes (exporter-toolkit's
// basic_auth_users) without letting wrong passwords stall the loop: a
// bcrypt check costs tens of milliseconds on the only thread, so checks are
// bounded by a budget of CPU time per second, and accepted credentials are
// remembered by a keyed hash, so repeated scrapes cost one HMAC
// (docs/security.md, "Basic auth").
#pragma once

#include <crypt.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "http/request.hpp"
#include "http/response.hpp"

namespace mmwatch::http {

// bcrypt time the loop may spend per second, and the most it may save up:
// a quarter of the loop. At cost 10 (135 ms a check on the test
// machine) about two checks a second; each one holds the loop for its
// duration, which is the price of bcrypt on one thread.
inline constexpr double kBcryptBudgetMsPerSecond = 250;
// Distinct accepted credentials remembered; past it the memory starts over.
inline constexpr size_t kMaxRememberedCredentials = 4096;

struct AuthConfig {
    std::map<std::string, std::string, std::less<>> users;  // user -> bcrypt hash
    bool healthy_without_auth = false;  // /-/healthy answers without credentials
};

enum class AuthResult : uint8_t { ok_remembered, ok_verified, exempt, missing, wrong, busy };
inline constexpr size_t kAuthResultCount = 6;
[[nodiscard]] std::string_view auth_result_name(AuthResult r) noexcept;

class BasicAuth {
public:
    explicit BasicAuth(AuthConfig config);
    ~BasicAuth();
    BasicAuth(const BasicAuth&) = delete;
    BasicAuth& operator=(const BasicAuth&) = delete;

    // Checks `req`'s Authorization header; counts the result.
    AuthResult check(const Request& req, uint64_t now_ms) { return check(req.path, req.header("Authorization"), now_ms); }
    // The same for a request by its path and Authorization value (HTTP/2's
    // `authorization` field: gRPC metadata).
    AuthResult check(std::string_view path, std::string_view authorization, uint64_t now_ms);
    // The answer for a refused request: 401 with WWW-Authenticate, or 429
    // with Retry-After when the bcrypt budget is spent.
    [[nodiscard]] static Response refusal(AuthResult r);
    [[nodiscard]] const uint64_t* counters() const noexcept { return counts_; }
    // SIGHUP: new users; credentials remembered for the old ones are forgotten.
    void replace(AuthConfig config);

private:
    [[nodiscard]] std::string digest(std::string_view user, std::string_view password) const;
    bool bcrypt_matches(std::string_view password, const std::string& hash);

    AuthConfig config_;
    unsigned char key_[32];  // for the remembered credentials' HMAC, random per process
    std::unordered_set<std::string> remembered_;
    std::unique_ptr<crypt_data> scratch_;  // crypt_rn's working memory (about 32 KiB)
    double budget_ms_ = kBcryptBudgetMsPerSecond;
    uint64_t budget_at_ms_ = 0;
    uint64_t counts_[kAuthResultCount] = {};
};

// Decodes "Basic base64(user:password)"; false if malformed.
[[nodiscard]] bool parse_basic_credentials(std::string_view header, std::string& user, std::string& password);

}  // namespace mmwatch::http
