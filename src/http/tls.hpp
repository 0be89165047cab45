// TLS for the listeners with OpenSSL 3 through memory BIOs: the loop reads
// ciphertext from the socket and hands it to a session, which gives back
// plaintext for the HTTP parser and ciphertext to write. No thread, no
// socket of OpenSSL's own, no blocking call (docs/security.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/enum_names.hpp"

struct ssl_ctx_st;
struct ssl_st;
struct bio_st;

namespace mmwatch::http {

// exporter-toolkit's client_auth_type values.
enum class ClientAuth : uint8_t {
    none,                  // NoClientCert
    request,               // RequestClientCert: asked for, not verified
    require_any,           // RequireAnyClientCert: required, not verified
    verify_if_given,       // VerifyClientCertIfGiven
    require_and_verify,    // RequireAndVerifyClientCert
};

struct TlsConfig {
    std::string cert_file;
    std::string key_file;
    std::string client_ca_file;  // empty: none
    ClientAuth client_auth = ClientAuth::none;
    std::vector<std::string> client_allowed_sans;  // empty: any
    int min_version = 0;  // TLS1_2_VERSION etc.; 0 = the default (TLS 1.2)
    int max_version = 0;  // 0 = the default (TLS 1.3)
};

// Why a handshake failed, by the names of mmwatch_tls_handshake_failures_total.
enum class HandshakeFailure : uint8_t {
    no_certificate,      // a client certificate was required and none came
    unknown_ca,          // the client's certificate does not chain to client_ca_file
    expired_certificate, // the client's certificate is expired or not yet valid
    bad_certificate,     // any other verification failure
    san_not_allowed,     // no SAN of the certificate is in client_allowed_sans
    bad_version,         // no protocol version in common
    plain_http,          // an HTTP request on a TLS port (answered 400)
    other,               // anything else (a malformed record, no shared cipher...)
};
inline constexpr size_t kHandshakeFailureCount = 8;
[[nodiscard]] std::string_view handshake_failure_name(HandshakeFailure f) noexcept;

struct TlsCounters {
    uint64_t handshakes = 0;
    uint64_t failures[kHandshakeFailureCount] = {};
    uint64_t reloads = 0;          // certificates re-read after a change
    uint64_t reload_failures = 0;  // a changed file that did not load: the old ones stay
};

// Largest certificate, key or CA file read: a chain of a few certificates
// is a few KiB, a CA bundle (all of a system's roots) about 200 KiB. Over
// it the file is refused before it is read, at start or on a reload.
inline constexpr size_t kMaxTlsFileBytes = 1024 * 1024;

// The server side of TLS for one configuration: the SSL_CTX, and the
// re-reading of certificate, key and CA when their files change. The files
// are read without blocking (base/small_file.hpp) and handed to OpenSSL
// from memory: a FIFO in place of one is a failed load, never a wait.
class TlsContext {
public:
    // Loads the files; on failure returns null and says why in `error`
    // (naming the file or key).
    static std::unique_ptr<TlsContext> create(TlsConfig config, std::string& error);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    // The context for a new connection. At most once a second (by
    // `now_ms`), checks whether the files changed and if so loads them
    // anew; a failed load keeps the old context and is counted, its
    // message in last_reload_error().
    [[nodiscard]] ssl_ctx_st* for_new_connection(uint64_t now_ms) noexcept;
    [[nodiscard]] const TlsCounters& counters() const noexcept { return counters_; }
    TlsCounters& counters() noexcept { return counters_; }
    [[nodiscard]] const std::string& last_reload_error() const noexcept { return last_reload_error_; }
    [[nodiscard]] const TlsConfig& config() const noexcept { return config_; }
    // SIGHUP: `config` (its paths, versions, client CA) and its files loaded
    // now, for connections from then on; on failure nothing changes.
    [[nodiscard]] bool replace(TlsConfig config, std::string& error);

private:
    explicit TlsContext(TlsConfig config) : config_(std::move(config)) {}
    struct FileStamp {
        int64_t mtime_ns = 0;
        int64_t size = 0;
        uint64_t inode = 0;
        bool operator==(const FileStamp&) const = default;
    };
    // The files' contents, read before OpenSSL sees them.
    struct Pems {
        std::string cert, key, client_ca;
    };
    [[nodiscard]] std::vector<FileStamp> stamps() const;
    bool read_files(Pems& out, std::string& error) const;
    ssl_ctx_st* load(std::string& error) const;
    void reload_if_changed();

    TlsConfig config_;
    ssl_ctx_st* ctx_ = nullptr;
    std::vector<FileStamp> stamps_;
    uint64_t last_check_ms_ = 0;
    TlsCounters counters_;
    std::string last_reload_error_;
};

// One connection's TLS state. Input and output are bounded by what the
// caller hands in: plaintext out of feed() is at most the ciphertext in,
// ciphertext out of encrypt() the plaintext plus record overhead.
class TlsSession {
public:
    enum class Status : uint8_t { ok, failed, closed };

    // `h2`: the listener speaks HTTP/2, so ALPN selects "h2" when the client
    // offers it (gRPC clients insist). Otherwise no protocol is selected, as
    // before ALPN: HTTP/1.1.
    explicit TlsSession(ssl_ctx_st* ctx, bool h2 = false);
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    [[nodiscard]] bool valid() const noexcept { return ssl_ != nullptr; }
    // Ciphertext from the peer: appends what it decrypts to `plain` and
    // what must be sent back (handshake, alerts) to `out`. On failed,
    // failure() says why.
    Status feed(const char* data, size_t n, std::string& plain, std::string& out);
    // Plaintext to send: appends its records to `out`.
    bool encrypt(std::string_view data, std::string& out);
    // A close_notify alert into `out`.
    void close_notify(std::string& out);
    [[nodiscard]] bool established() const noexcept { return established_; }
    [[nodiscard]] HandshakeFailure failure() const noexcept { return failure_; }

private:
    Status feed_piece(const char* data, size_t n, std::string& plain, std::string& out);
    void drain(std::string& out);
    HandshakeFailure classify(int ssl_error) const;

    ssl_st* ssl_ = nullptr;
    bio_st* rbio_ = nullptr;  // owned by ssl_
    bio_st* wbio_ = nullptr;  // owned by ssl_
    bool established_ = false;
    HandshakeFailure failure_ = HandshakeFailure::other;
};

// True when the first bytes of a connection look like an HTTP request
// (a method's letters), not a TLS record (0x16, handshake).
[[nodiscard]] inline bool looks_like_plain_http(char first) noexcept { return first >= 'A' && first <= 'Z'; }

// The answer to an HTTP request on a TLS port, sent in plain text.
inline constexpr std::string_view kPlainHttpOnTls =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 46\r\nConnection: close\r\n\r\n"
    "this port speaks HTTPS: use https:// instead.\n";

}  // namespace mmwatch::http
