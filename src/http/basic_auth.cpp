#include "http/basic_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iterator>

#include "base/enum_names.hpp"

namespace mmwatch::http {

namespace {

MMWATCH_ENUM_TABLE(AuthResult, kResultNames) = {
    MMWATCH_ROW(ok_remembered, "accepted: remembered credentials"),
    MMWATCH_ROW(ok_verified, "accepted: bcrypt verified"),
    MMWATCH_ROW(exempt, "no credentials needed (/-/healthy)"),
    MMWATCH_ROW(missing, "no or malformed Authorization header"),
    MMWATCH_ROW(wrong, "unknown user or wrong password"),
    MMWATCH_ROW(busy, "the bcrypt budget is spent: 429"),
};
static_assert(base::rows_match(kResultNames, kAuthResultCount));

// A hash no password matches with `hash`'s algorithm and cost, checked for
// unknown users so that they take as long as known ones: a fresh salt for
// the same prefix and cost ("$2b$12$"), and a digest part of filler (crypt
// only reads the setting; the result never equals the filler).
std::string dummy_like(const std::string& hash) {
    const std::string prefix = hash.substr(0, 4);
    const unsigned long cost = std::strtoul(hash.c_str() + 4, nullptr, 10);
    unsigned char random[16];
    if (RAND_bytes(random, sizeof random) != 1) {
        for (size_t i = 0; i < sizeof random; ++i) random[i] = static_cast<unsigned char>(i * 37 + 11);
    }
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn(prefix.c_str(), cost, reinterpret_cast<const char*>(random), int(sizeof random), setting,
                          int(sizeof setting)))
        return hash;  // cannot happen for a hash that passed the config check; costs the same anyway
    std::string dummy = setting;
    dummy.resize(hash.size(), 'O');
    return dummy;
}

// What a new address's share starts with: enough for one check to start.
constexpr double kFirstCheckMs = 0.001;

double monotonic_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

}  // namespace

std::string_view auth_result_name(AuthResult r) noexcept { return base::name_of(kResultNames, r); }

bool parse_basic_credentials(std::string_view header, std::string& user, std::string& password) {
    while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
    if (header.size() < 6 || (header.substr(0, 6) != "Basic " && header.substr(0, 6) != "basic ")) return false;
    std::string_view b64 = header.substr(6);
    while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
    while (!b64.empty() && b64.back() == ' ') b64.remove_suffix(1);
    if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 4096) return false;
    std::string raw(b64.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                  reinterpret_cast<const unsigned char*>(b64.data()), int(b64.size()));
    if (n < 0) return false;
    // Padding ('=' decodes to zeros) is at most two, and only at the end.
    const size_t first_pad = b64.find('=');
    const size_t pad = first_pad == std::string_view::npos ? 0 : b64.size() - first_pad;
    if (pad > 2 || b64.find_first_not_of('=', first_pad == std::string_view::npos ? b64.size() : first_pad) !=
                       std::string_view::npos)
        return false;
    raw.resize(size_t(n) - pad);
    const size_t colon = raw.find(':');
    if (colon == std::string::npos) return false;
    user = raw.substr(0, colon);
    password = raw.substr(colon + 1);
    return true;
}

BasicAuth::BasicAuth(AuthConfig config) : config_(std::move(config)), scratch_(new crypt_data{}) {
    if (RAND_bytes(key_, sizeof key_) != 1) {
        for (size_t i = 0; i < sizeof key_; ++i) key_[i] = static_cast<unsigned char>(i * 131 + 7);
    }
    for (const auto& [user, hash] : config_.users) dummies_.push_back(dummy_like(hash));
}

BasicAuth::~BasicAuth() { OPENSSL_cleanse(key_, sizeof key_); }

void BasicAuth::replace(AuthConfig config) {
    config_ = std::move(config);
    remembered_.clear();
}

std::string BasicAuth::digest(std::string_view user, std::string_view password) const {
    std::string msg;
    msg.reserve(user.size() + password.size() + 1);
    msg.append(user);
    msg.push_back('\0');
    msg.append(password);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key_, int(sizeof key_), reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out,
         &n);
    OPENSSL_cleanse(msg.data(), msg.size());
    return std::string(reinterpret_cast<const char*>(out), n);
}

bool BasicAuth::bcrypt_matches(std::string_view password, const std::string& hash) {
    const std::string phrase(password);
    const char* out = crypt_rn(phrase.c_str(), hash.c_str(), scratch_.get(), int(sizeof(crypt_data)));
    const bool ok = out && out[0] != '*' && hash.size() == std::char_traits<char>::length(out) &&
                    CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
    OPENSSL_cleanse(scratch_.get(), sizeof(crypt_data));
    return ok;
}

// Every name, configured or not, always costs the same one of the
// configured users' costs: with users of several costs, timing tells an
// unknown name from a user no better than two users from each other.
const std::string& BasicAuth::dummy_for(std::string_view user) const {
    const std::string d = digest(user, "");
    uint64_t pick = 0;
    for (size_t i = 0; i < 8; ++i) pick = pick << 8 | static_cast<unsigned char>(d[i]);
    return dummies_[pick % dummies_.size()];
}

AuthResult BasicAuth::check(std::string_view path, std::string_view authorization, uint64_t client,
                             uint64_t now_ms) {
    const auto count = [&](AuthResult r) {
        ++counts_[size_t(r)];
        return r;
    };
    if (config_.healthy_without_auth && path == "/-/healthy") return count(AuthResult::exempt);
    std::string user, password;
    if (!parse_basic_credentials(authorization, user, password)) return count(AuthResult::missing);
    const std::string d = digest(user, password);
    if (remembered_.count(d)) return count(AuthResult::ok_remembered);
    if (!may_check(client, now_ms)) return count(AuthResult::busy);
    const auto it = config_.users.find(user);
    const bool known = it != config_.users.end();
    const double t0 = monotonic_ms();
    const bool ok = bcrypt_matches(password, known ? it->second : dummy_for(user)) && known;
    spend(client, monotonic_ms() - t0);
    OPENSSL_cleanse(password.data(), password.size());
    if (!ok) return count(AuthResult::wrong);
    if (remembered_.size() >= kMaxRememberedCredentials) remembered_.clear();
    remembered_.insert(d);
    return count(AuthResult::ok_verified);
}

// The loop's budget refills with time, up to one second's worth; so does
// each address's share of it, an equal part for every address that asked
// lately plus one kept for a newcomer. A check may start while both are
// positive (and may then take them below zero: a check is never cut). The
// shares add up to less than the budget, so what addresses already storming
// leave over is there for a new one.
bool BasicAuth::may_check(uint64_t client, uint64_t now_ms) {
    budget_ms_ = std::min(kBcryptBudgetMsPerSecond,
                          budget_ms_ + double(now_ms - budget_at_ms_) * kBcryptBudgetMsPerSecond / 1000.0);
    budget_at_ms_ = now_ms;
    forget_quiet_clients(now_ms);
    const double share_per_second = kBcryptBudgetMsPerSecond / double(shares_.size() + 1);
    // A new address may start one check at once, and then waits for its share.
    const auto [it, fresh] = shares_.try_emplace(client, Share{kFirstCheckMs, now_ms});
    Share& s = it->second;
    if (!fresh) s.ms = std::min(share_per_second, s.ms + double(now_ms - s.at_ms) * share_per_second / 1000.0);
    s.at_ms = now_ms;
    return budget_ms_ > 0 && s.ms > 0;
}

void BasicAuth::spend(uint64_t client, double ms) {
    budget_ms_ -= ms;
    if (auto it = shares_.find(client); it != shares_.end()) it->second.ms -= ms;
}

// Addresses quiet for the window no longer take a share; at most every
// tenth of the window, so a storm does not rescan the table per request.
// Over kMaxBcryptClients the quietest go too.
void BasicAuth::forget_quiet_clients(uint64_t now_ms) {
    if (now_ms - forgot_at_ms_ < kBcryptShareWindowMs / 10 && shares_.size() < kMaxBcryptClients) return;
    forgot_at_ms_ = now_ms;
    std::erase_if(shares_, [&](const auto& kv) { return now_ms - kv.second.at_ms > kBcryptShareWindowMs; });
    while (shares_.size() >= kMaxBcryptClients) {
        auto quietest = shares_.begin();
        for (auto it = shares_.begin(); it != shares_.end(); ++it) {
            if (it->second.at_ms < quietest->second.at_ms) quietest = it;
        }
        shares_.erase(quietest);
    }
}

Response BasicAuth::refusal(AuthResult r) {
    if (r == AuthResult::busy) {
        Response resp = error_response(429, "too many password checks, retry in a second");
        resp.extra_headers = "Retry-After: 1\r\n";
        return resp;
    }
    Response resp = error_response(401, "unauthorized");
    resp.extra_headers = "WWW-Authenticate: Basic realm=\"mmwatch\", charset=\"UTF-8\"\r\n";
    return resp;
}

}  // namespace mmwatch::http
