#include "http/tls.hpp"

#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <iterator>


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

ssl_ctx_st* TlsContext::load(std::string& error) const {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        error = "tls_server_config: " + openssl_error();
        return nullptr;
    }
    const auto fail = [&](std::string why) {
        error = std::move(why);
        SSL_CTX_free(ctx);
        return nullptr;
    };
    SSL_CTX_set_min_proto_version(ctx, config_.min_version ? config_.min_version : TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, config_.max_version ? config_.max_version : TLS1_3_VERSION);
    // No renegotiation (a client could make the server redo handshakes),
    // no compression; sessions resumed with tickets, kept by the client.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
    if (SSL_CTX_use_certificate_chain_file(ctx, config_.cert_file.c_str()) != 1)
        return fail("cert_file " + config_.cert_file + ": " + openssl_error());
    if (SSL_CTX_use_PrivateKey_file(ctx, config_.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            return fail("key_file " + config_.key_file + " does not match cert_file " + config_.cert_file);
        }
        return fail("key_file " + config_.key_file + ": " + openssl_error());
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        return fail("key_file " + config_.key_file + " does not match cert_file " + config_.cert_file);
    if (!config_.client_ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(ctx, config_.client_ca_file.c_str(), nullptr) != 1)
            return fail("client_ca_file " + config_.client_ca_file + ": " + openssl_error());
        STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config_.client_ca_file.c_str());
        if (names) SSL_CTX_set_client_CA_list(ctx, names);
    }
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

ssl_ctx_st* TlsContext::for_new_connection(uint64_t now_ms) {
    if (now_ms - last_check_ms_ >= kReloadCheckMs) {
        last_check_ms_ = now_ms;
        std::vector<FileStamp> now = stamps();
        if (now != stamps_) {
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
    }
    return ctx_;
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

TlsSession::Status TlsSession::feed(const char* data, size_t n, std::string& plain, std::string& out) {
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
    char buf[16 * 1024];
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
        const int r = SSL_write(ssl_, data.data(), int(std::min<size_t>(data.size(), 1 << 20)));
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
