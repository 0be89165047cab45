// HTTP basic auth against bcrypt hashes (exporter-toolkit's
// basic_auth_users) without letting wrong passwords stall the loop: a
// bcrypt check costs tens of milliseconds on the only thread, so checks are
// bounded by a budget of CPU time per second, shared fairly between client
// addresses, and accepted credentials are remembered by a keyed hash, so
// repeated scrapes cost one HMAC (docs/security.md, "Basic auth").
#pragma once

#include <crypt.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace mmwatch::http {

// bcrypt time the loop may spend per second, and the most it may save up:
// a quarter of the loop. At cost 10 (135 ms a check on the test
// machine) about two checks a second; each one holds the loop for its
// duration, which is the price of bcrypt on one thread.
inline constexpr double kBcryptBudgetMsPerSecond = 250;
// The budget is shared by client address (IPv6: by /64): each address that
// asked for a check within this window has an equal share, and one more
// share is always left for an address not seen yet, so a storm of wrong
// passwords from some addresses cannot starve a new one (its first check
// runs at once).
inline constexpr uint64_t kBcryptShareWindowMs = 2'000;
// Addresses whose shares are tracked; past it the oldest is forgotten
// (an attacker with more addresses than this shares one entry's fate).
inline constexpr size_t kMaxBcryptClients = 1024;
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

    // Checks `req`'s Authorization header, from the client at `client`
    // (http::client_address); counts the result.
    AuthResult check(const Request& req, uint64_t client, uint64_t now_ms) {
        return check(req.path, req.header("Authorization"), client, now_ms);
    }
    // The same for a request by its path and Authorization value (HTTP/2's
    // `authorization` field: gRPC metadata).
    AuthResult check(std::string_view path, std::string_view authorization, uint64_t client, uint64_t now_ms);
    // The answer for a refused request: 401 with WWW-Authenticate, or 429
    // with Retry-After when the client's share of the bcrypt budget is spent.
    [[nodiscard]] static Response refusal(AuthResult r);
    [[nodiscard]] const uint64_t* counters() const noexcept { return counts_; }
    // SIGHUP: new users; credentials remembered for the old ones are forgotten.
    void replace(AuthConfig config);

private:
    // One address's share of the budget: ms of bcrypt it may still spend.
    struct Share {
        double ms = 0;
        uint64_t at_ms = 0;  // last refill, and last time it asked
    };
    [[nodiscard]] std::string digest(std::string_view user, std::string_view password) const;
    bool bcrypt_matches(std::string_view password, const std::string& hash);
    // The hash an unknown user is checked against: a configured user's
    // algorithm and cost, that user picked by a keyed hash of the name.
    [[nodiscard]] const std::string& dummy_for(std::string_view user) const;
    // True when both the loop's budget and this client's share allow a check.
    bool may_check(uint64_t client, uint64_t now_ms);
    void spend(uint64_t client, double ms);
    void forget_quiet_clients(uint64_t now_ms);

    AuthConfig config_;
    std::vector<std::string> dummies_;  // one per user, in the map's order
    unsigned char key_[32];  // for the remembered credentials' HMAC, random per process
    std::unordered_set<std::string> remembered_;
    std::unique_ptr<crypt_data> scratch_;  // crypt_rn's working memory (about 32 KiB)
    double budget_ms_ = kBcryptBudgetMsPerSecond;
    uint64_t budget_at_ms_ = 0;
    std::unordered_map<uint64_t, Share> shares_;
    uint64_t forgot_at_ms_ = 0;
    uint64_t counts_[kAuthResultCount] = {};
};

// Decodes "Basic base64(user:password)"; false if malformed.
[[nodiscard]] bool parse_basic_credentials(std::string_view header, std::string& user, std::string& password);

}  // namespace mmwatch::http
