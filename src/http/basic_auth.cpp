#include "http/basic_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

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

// A well-formed hash no password matches, checked for unknown users so
// that they take as long as known ones.
constexpr std::string_view kDummyHash = "$2y$10$abcdefghijklmnopqrstuu5VrQe9I5ULhRTu7XJl2H8jX1G9dBT2q";

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

AuthResult BasicAuth::check(std::string_view path, std::string_view authorization, uint64_t now_ms) {
    const auto count = [&](AuthResult r) {
        ++counts_[size_t(r)];
        return r;
    };
    if (config_.healthy_without_auth && path == "/-/healthy") return count(AuthResult::exempt);
    std::string user, password;
    if (!parse_basic_credentials(authorization, user, password)) return count(AuthResult::missing);
    const std::string d = digest(user, password);
    if (remembered_.count(d)) return count(AuthResult::ok_remembered);
    // The budget refills with time, up to one second's worth.
    budget_ms_ = std::min(kBcryptBudgetMsPerSecond,
                          budget_ms_ + double(now_ms - budget_at_ms_) * kBcryptBudgetMsPerSecond / 1000.0);
    budget_at_ms_ = now_ms;
    if (budget_ms_ <= 0) return count(AuthResult::busy);
    const auto it = config_.users.find(user);
    const double t0 = monotonic_ms();
    const bool ok = bcrypt_matches(password, it != config_.users.end() ? it->second : std::string(kDummyHash)) &&
                    it != config_.users.end();
    budget_ms_ -= monotonic_ms() - t0;
    OPENSSL_cleanse(password.data(), password.size());
    if (!ok) return count(AuthResult::wrong);
    if (remembered_.size() >= kMaxRememberedCredentials) remembered_.clear();
    remembered_.insert(d);
    return count(AuthResult::ok_verified);
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
