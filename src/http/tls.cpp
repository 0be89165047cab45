#include "http/tls.hpp"

#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <iterator>

#include "base/guard.hpp"
#include "base/small_file.hpp"


namespace mmwatch::http {

namespace {

MMWATCH_ENUM_TABLE(HandshakeFailure, kFailureNames) = {
    MMWATCH_ROW(no_certificate, "a client certificate is required"),
    MMWATCH_ROW(unknown_ca, "the client certificate is not signed by client_ca_file"),
    MMWATCH_ROW(expired_certificate, "the client certificate is expired or not yet valid"),
    MMWATCH_ROW(bad_certificate, "the client certificate did not verify"),
    MMWATCH_ROW(san_not_allowed, "no SAN of the client certificate is in client_allowed_sans"),
    MMWATCH_ROW(bad_version, "no TLS version in common"),
    MMWATCH_ROW(plain_http, "an HTTP request on a TLS port"),
    MMWATCH_ROW(other, "the handshake failed"),
};
static_assert(base::rows_match(kFailureNames, kHandshakeFailureCount));

// The most plaintext in one TLS record: what is encrypted or decrypted per
// call, so the session's memory BIOs never grow past about one record.
constexpr size_t kRecordBytes = 16 * 1024;

// Re-reading the files is checked at most this often, on new handshakes.
constexpr uint64_t kReloadCheckMs = 1'000;

std::string openssl_error() {
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "unknown error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

int ex_index() {
    static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// Marks the sessions of an HTTP/2 listener for select_alpn.
int h2_ex_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// ALPN (RFC 7301): "h2" on an HTTP/2 listener when the client offers it;
// anything else goes on without a protocol selected.
int select_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
    static constexpr unsigned char kH2[] = {2, 'h', '2'};
    if (!SSL_get_ex_data(ssl, h2_ex_index())) return SSL_TLSEXT_ERR_NOACK;
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, kH2, sizeof kH2, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

bool san_allowed(X509* cert, const std::vector<std::string>& allowed) {
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (!names) return false;
    bool ok = false;
    for (int i = 0; i < sk_GENERAL_NAME_num(names) && !ok; ++i) {
        const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
        std::string value;
        if (n->type == GEN_DNS || n->type == GEN_EMAIL || n->type == GEN_URI) {
            const ASN1_IA5STRING* s = n->d.ia5;
            value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), size_t(ASN1_STRING_length(s)));
        } else if (n->type == GEN_IPADD) {
            const ASN1_OCTET_STRING* ip = n->d.ip;
            char text[64] = {};
            const unsigned char* b = ASN1_STRING_get0_data(ip);
            if (ASN1_STRING_length(ip) == 4) snprintf(text, sizeof text, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
            value = text;
        }
        for (const std::string& a : allowed) ok = ok || (!value.empty() && value == a);
    }
    GENERAL_NAMES_free(names);
    return ok;
}

// Runs for each certificate of the client's chain. The unverified modes
// accept any chain; client_allowed_sans is checked on the leaf either way.
int verify_callback(int preverify_ok, X509_STORE_CTX* store) {
    SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    const auto* config = static_cast<const TlsConfig*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
    const bool verify = config->client_auth == ClientAuth::verify_if_given ||
                        config->client_auth == ClientAuth::require_and_verify;
    if (verify && !preverify_ok) return 0;
    if (X509_STORE_CTX_get_error_depth(store) == 0 && !config->client_allowed_sans.empty()) {
        if (!san_allowed(X509_STORE_CTX_get_current_cert(store), config->client_allowed_sans)) {
            X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
            return 0;
        }
    }
    return 1;
}

}  // namespace

std::string_view handshake_failure_name(HandshakeFailure f) noexcept { return base::name_of(kFailureNames, f); }

std::vector<TlsContext::FileStamp> TlsContext::stamps() const {
    std::vector<FileStamp> out;
    for (const std::string* f : {&config_.cert_file, &config_.key_file, &config_.client_ca_file}) {
        FileStamp s;
        struct stat st {};
        if (!f->empty() && ::stat(f->c_str(), &st) == 0) {
            s = {int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, int64_t(st.st_size),
                 uint64_t(st.st_ino)};
        }
        out.push_back(s);
    }
    return out;
}

namespace {

// An encrypted key is refused, never asked for on a terminal (OpenSSL's
// default would read the password from the tty and block).
int no_password(char*, int, int, void*) { return 0; }

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio memory_bio(const std::string& pem) { return Bio(BIO_new_mem_buf(pem.data(), int(pem.size()))); }

// After the last PEM block, OpenSSL reports "no start line": the normal end.
bool pem_ended_cleanly() {
    const unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        return true;
    }
    return e == 0;
}

// The leaf, then the rest of the chain, as SSL_CTX_use_certificate_chain_file
// reads them, from bytes already in memory.
bool use_chain(SSL_CTX* ctx, const std::string& pem) {
    Bio b = memory_bio(pem);
    X509* leaf = b ? PEM_read_bio_X509_AUX(b.get(), nullptr, no_password, nullptr) : nullptr;
    if (!leaf) return false;
    const bool ok = SSL_CTX_use_certificate(ctx, leaf) == 1;
    X509_free(leaf);
    if (!ok || SSL_CTX_clear_chain_certs(ctx) != 1) return false;
    while (X509* ca = PEM_read_bio_X509(b.get(), nullptr, no_password, nullptr)) {
        if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
            X509_free(ca);
            return false;
        }
    }
    return pem_ended_cleanly();
}

bool use_key(SSL_CTX* ctx, const std::string& pem) {
    Bio b = memory_bio(pem);
    EVP_PKEY* key = b ? PEM_read_bio_PrivateKey(b.get(), nullptr, no_password, nullptr) : nullptr;
    if (!key) return false;
    const bool ok = SSL_CTX_use_PrivateKey(ctx, key) == 1;
    EVP_PKEY_free(key);
    return ok;
}

// Every certificate of the CA file trusted for client certificates, and
// its subject sent as an acceptable CA name.
bool use_client_cas(SSL_CTX* ctx, const std::string& pem) {
    Bio b = memory_bio(pem);
    STACK_OF(X509_INFO)* infos = b ? PEM_X509_INFO_read_bio(b.get(), nullptr, no_password, nullptr) : nullptr;
    if (!infos) return false;
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    bool ok = names != nullptr;
    for (int i = 0; ok && i < sk_X509_INFO_num(infos); ++i) {
        X509* cert = sk_X509_INFO_value(infos, i)->x509;
        if (!cert) continue;
        X509_NAME* name = X509_NAME_dup(X509_get_subject_name(cert));
        ok = X509_STORE_add_cert(store, cert) == 1 && name && sk_X509_NAME_push(names, name) > 0;
        if (!ok) X509_NAME_free(name);
        added += ok;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    if (!ok || added == 0) {
        sk_X509_NAME_pop_free(names, X509_NAME_free);
        if (ok) ERR_raise(ERR_LIB_PEM, PEM_R_NO_START_LINE);  // "no certificate in it"
        return false;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    return true;
}

}  // namespace

// Each file named by the config, read without blocking and capped
// (base/small_file.hpp): a FIFO, a directory or a device in its place is
// refused in a line, not waited on.
bool TlsContext::read_files(Pems& out, std::string& error) const {
    const struct {
        const char* key;
        const std::string& path;
        std::string& pem;
    } files[] = {{"cert_file", config_.cert_file, out.cert},
                 {"key_file", config_.key_file, out.key},
                 {"client_ca_file", config_.client_ca_file, out.client_ca}};
    for (const auto& f : files) {
        if (f.path.empty()) continue;
        std::string why;
        if (!base::read_small_file(f.path, kMaxTlsFileBytes, f.pem, why)) {
            error = std::string(f.key) + " " + f.path + ": " + why;
            return false;
        }
    }
    return true;
}

ssl_ctx_st* TlsContext::load(std::string& error) const {
    Pems pem;
    if (!read_files(pem, error)) return nullptr;
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        error = "tls_server_config: " + openssl_error();
        return nullptr;
    }
    const auto fail = [&](std::string why) {
        error = std::move(why);
        SSL_CTX_free(ctx);
        OPENSSL_cleanse(pem.key.data(), pem.key.size());
        return nullptr;
    };
    SSL_CTX_set_min_proto_version(ctx, config_.min_version ? config_.min_version : TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, config_.max_version ? config_.max_version : TLS1_3_VERSION);
    // No renegotiation (a client could make the server redo handshakes),
    // no compression; sessions resumed with tickets, kept by the client.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Record buffers are freed while a connection is idle: an idle or
    // stalled TLS connection holds its session, not 34 KiB of buffers.
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_RELEASE_BUFFERS);
    if (!use_chain(ctx, pem.cert)) return fail("cert_file " + config_.cert_file + ": " + openssl_error());
    if (!use_key(ctx, pem.key)) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            return fail("key_file " + config_.key_file + " does not match cert_file " + config_.cert_file);
        }
        return fail("key_file " + config_.key_file + ": " + openssl_error());
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        return fail("key_file " + config_.key_file + " does not match cert_file " + config_.cert_file);
    if (!config_.client_ca_file.empty() && !use_client_cas(ctx, pem.client_ca))
        return fail("client_ca_file " + config_.client_ca_file + ": " + openssl_error());
    OPENSSL_cleanse(pem.key.data(), pem.key.size());
    int mode = SSL_VERIFY_NONE;
    switch (config_.client_auth) {
    case ClientAuth::none: break;
    case ClientAuth::request:
    case ClientAuth::verify_if_given: mode = SSL_VERIFY_PEER; break;
    case ClientAuth::require_any:
    case ClientAuth::require_and_verify: mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT; break;
    }
    SSL_CTX_set_verify(ctx, mode, mode == SSL_VERIFY_NONE ? nullptr : verify_callback);
    SSL_CTX_set_ex_data(ctx, ex_index(), const_cast<TlsConfig*>(&config_));
    SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
    return ctx;
}

std::unique_ptr<TlsContext> TlsContext::create(TlsConfig config, std::string& error) {
    std::unique_ptr<TlsContext> t(new TlsContext(std::move(config)));
    t->stamps_ = t->stamps();
    t->ctx_ = t->load(error);
    if (!t->ctx_) return nullptr;
    return t;
}

TlsContext::~TlsContext() {
    if (ctx_) SSL_CTX_free(ctx_);
}

bool TlsContext::replace(TlsConfig config, std::string& error) {
    std::swap(config_, config);
    SSL_CTX* fresh = load(error);
    if (!fresh) {
        std::swap(config_, config);
        return false;
    }
    SSL_CTX_free(ctx_);  // sessions still open hold their own reference
    ctx_ = fresh;
    stamps_ = stamps();
    ++counters_.reloads;
    return true;
}

ssl_ctx_st* TlsContext::for_new_connection(uint64_t now_ms) noexcept {
    if (now_ms - last_check_ms_ < kReloadCheckMs) return ctx_;
    last_check_ms_ = now_ms;
    // A reload runs inside a connection's accept: whatever fails in it is
    // a failed reload (counted, the old certificates stay), never more.
    base::guarded([&] { reload_if_changed(); },
                  [&](base::Failure f) {
                      ++counters_.reload_failures;
                      last_reload_error_.clear();
                      base::guarded([&] { last_reload_error_ = f == base::Failure::out_of_memory ? "out of memory" : "internal error"; },
                                    [](base::Failure) {});
                  });
    return ctx_;
}

void TlsContext::reload_if_changed() {
    std::vector<FileStamp> now = stamps();
    if (now == stamps_) return;
    stamps_ = std::move(now);
    std::string error;
    if (SSL_CTX* fresh = load(error)) {
        SSL_CTX_free(ctx_);  // sessions still open hold their own reference
        ctx_ = fresh;
        ++counters_.reloads;
    } else {
        ++counters_.reload_failures;
        last_reload_error_ = error;
    }
}

TlsSession::TlsSession(ssl_ctx_st* ctx, bool h2) {
    ssl_ = SSL_new(ctx);
    if (!ssl_) return;
    static int h2_marker;
    if (h2) SSL_set_ex_data(ssl_, h2_ex_index(), &h2_marker);
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    if (!rbio_ || !wbio_) {
        BIO_free(rbio_);
        BIO_free(wbio_);
        SSL_free(ssl_);
        ssl_ = nullptr;
        return;
    }
    // A drained read BIO reports "retry", not end of file.
    BIO_set_mem_eof_return(rbio_, -1);
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() {
    if (ssl_) SSL_free(ssl_);
}

// What the session has to send, read from the memory BIO straight into
// the end of `out` (one copy: no bounce through a stack buffer).
void TlsSession::drain(std::string& out) {
    for (size_t pending; (pending = BIO_ctrl_pending(wbio_)) > 0;) {
        const size_t at = out.size();
        out.resize(at + pending);
        const int n = BIO_read(wbio_, out.data() + at, int(std::min<size_t>(pending, INT_MAX)));
        out.resize(at + size_t(std::max(n, 0)));
        if (n <= 0) return;
    }
}

HandshakeFailure TlsSession::classify(int ssl_error) const {
    const long verify = SSL_get_verify_result(ssl_);
    const unsigned long e = ERR_peek_error();
    const int reason = ERR_GET_REASON(e);
    ERR_clear_error();
    (void)ssl_error;
    if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) return HandshakeFailure::no_certificate;
    if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_WRONG_VERSION_NUMBER ||
        reason == SSL_R_UNKNOWN_PROTOCOL || reason == SSL_R_VERSION_TOO_LOW || reason == SSL_R_VERSION_TOO_HIGH)
        return HandshakeFailure::bad_version;
    switch (verify) {
    case X509_V_OK: break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID: return HandshakeFailure::expired_certificate;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return HandshakeFailure::unknown_ca;
    case X509_V_ERR_APPLICATION_VERIFICATION: return HandshakeFailure::san_not_allowed;
    default: return HandshakeFailure::bad_certificate;
    }
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) return HandshakeFailure::bad_certificate;
    return HandshakeFailure::other;
}

// Ciphertext goes in, and plaintext out, one record's worth at a time: a
// memory BIO keeps the largest size it ever held for the session's life,
// so a 64 KiB read handed in whole would stay 64 KiB per connection.
TlsSession::Status TlsSession::feed(const char* data, size_t n, std::string& plain, std::string& out) {
    do {
        const size_t piece = std::min(n, kRecordBytes);
        const Status s = feed_piece(data, piece, plain, out);
        if (s != Status::ok) return s;
        data += piece;
        n -= piece;
    } while (n > 0);
    return Status::ok;
}

TlsSession::Status TlsSession::feed_piece(const char* data, size_t n, std::string& plain, std::string& out) {
    if (n && BIO_write(rbio_, data, int(n)) != int(n)) return Status::failed;
    if (!established_) {
        const int r = SSL_do_handshake(ssl_);
        if (r != 1) {
            const int err = SSL_get_error(ssl_, r);
            if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
                drain(out);
                return Status::ok;
            }
            failure_ = classify(err);
            drain(out);  // the alert, so the client learns why
            return Status::failed;
        }
        established_ = true;
    }
    char buf[kRecordBytes];
    for (;;) {
        const int r = SSL_read(ssl_, buf, sizeof buf);
        if (r > 0) {
            plain.append(buf, size_t(r));
            continue;
        }
        const int err = SSL_get_error(ssl_, r);
        drain(out);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::ok;
        if (err == SSL_ERROR_ZERO_RETURN) return Status::closed;
        ERR_clear_error();
        return Status::failed;
    }
}

bool TlsSession::encrypt(std::string_view data, std::string& out) {
    while (!data.empty()) {
        const int r = SSL_write(ssl_, data.data(), int(std::min(data.size(), kRecordBytes)));
        if (r <= 0) {
            ERR_clear_error();
            return false;
        }
        data.remove_prefix(size_t(r));
        drain(out);
    }
    return true;
}

void TlsSession::close_notify(std::string& out) {
    (void)SSL_shutdown(ssl_);
    ERR_clear_error();
    drain(out);
}

}  // namespace mmwatch::http
