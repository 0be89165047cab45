// TlsSession and TlsContext without a socket: a client SSL and the server
// session pass records to each other through memory.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "http/tls.hpp"
#include "support/temp_dir.hpp"
#include "support/test_certs.hpp"

using namespace mmwatch;
using namespace mmwatch::http;

namespace {

// A client that trusts `ca_cert` (or nothing) and talks through memory.
struct Client {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = nullptr;
    BIO* in = BIO_new(BIO_s_mem());   // from the server
    BIO* out = BIO_new(BIO_s_mem());  // to the server

    explicit Client(const std::string& ca_cert, int max_version = 0) {
        if (!ca_cert.empty()) {
            SSL_CTX_load_verify_locations(ctx, ca_cert.c_str(), nullptr);
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
        }
        if (max_version) SSL_CTX_set_max_proto_version(ctx, max_version);
        ssl = SSL_new(ctx);
        BIO_set_mem_eof_return(in, -1);
        SSL_set_bio(ssl, in, out);
        SSL_set_connect_state(ssl);
    }
    ~Client() {
        SSL_free(ssl);
        SSL_CTX_free(ctx);
    }
    std::string take() {
        std::string s;
        char buf[4096];
        for (int n; (n = BIO_read(out, buf, sizeof buf)) > 0;) s.append(buf, size_t(n));
        return s;
    }
    void give(const std::string& s) { BIO_write(in, s.data(), int(s.size())); }
};

// Runs the handshake, passing records both ways, until it settles.
TlsSession::Status handshake(Client& c, TlsSession& s, std::string& plain) {
    TlsSession::Status st = TlsSession::Status::ok;
    for (int round = 0; round < 10; ++round) {
        (void)SSL_do_handshake(c.ssl);
        const std::string to_server = c.take();
        std::string to_client;
        st = s.feed(to_server.data(), to_server.size(), plain, to_client);
        c.give(to_client);
        if (st != TlsSession::Status::ok) break;
        if (s.established() && SSL_is_init_finished(c.ssl)) break;
    }
    ERR_clear_error();
    return st;
}

struct Certs {
    test::TempDir dir;
    std::string cert = dir.file("server.crt");
    std::string key = dir.file("server.key");
    Certs() { REQUIRE(test::make_self_signed("mmwatch-test", key, cert)); }
};

}  // namespace

TEST_CASE("a_handshake_through_memory_then_requests_and_answers_both_ways") {
    Certs c;
    std::string error;
    auto ctx = TlsContext::create({c.cert, c.key}, error);
    REQUIRE(ctx);
    TlsSession s(ctx->for_new_connection(0));
    REQUIRE(s.valid());
    Client client(c.cert);
    std::string plain;
    REQUIRE(handshake(client, s, plain) == TlsSession::Status::ok);
    CHECK(s.established());
    // A request in, decrypted; an answer out, readable by the client.
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(SSL_write(client.ssl, req.data(), int(req.size())) == int(req.size()));
    const std::string records = client.take();
    std::string out;
    plain.clear();
    // Fed a byte at a time, as a dribbling client would send it.
    for (char ch : records) REQUIRE(s.feed(&ch, 1, plain, out) == TlsSession::Status::ok);
    CHECK(plain == req);
    std::string answer;
    REQUIRE(s.encrypt("HTTP/1.1 200 OK\r\n\r\n", answer));
    client.give(out + answer);
    char buf[64];
    const int n = SSL_read(client.ssl, buf, sizeof buf);
    REQUIRE(n > 0);
    CHECK(std::string(buf, size_t(n)) == "HTTP/1.1 200 OK\r\n\r\n");
    // close_notify reads as the end of the stream on the client.
    std::string bye;
    s.close_notify(bye);
    client.give(bye);
    CHECK(SSL_read(client.ssl, buf, sizeof buf) <= 0);
    CHECK(SSL_get_error(client.ssl, -1) == SSL_ERROR_ZERO_RETURN);
}

TEST_CASE("a_client_that_offers_only_tls_1_1_fails_as_bad_version") {
    Certs c;
    std::string error;
    auto ctx = TlsContext::create({c.cert, c.key}, error);
    REQUIRE(ctx);
    TlsSession s(ctx->for_new_connection(0));
    Client client("", TLS1_1_VERSION);
    SSL_CTX_set_min_proto_version(client.ctx, TLS1_VERSION);
    SSL_set_min_proto_version(client.ssl, TLS1_VERSION);
    SSL_set_max_proto_version(client.ssl, TLS1_1_VERSION);
    std::string plain;
    CHECK(handshake(client, s, plain) == TlsSession::Status::failed);
    CHECK(s.failure() == HandshakeFailure::bad_version);
}

TEST_CASE("a_required_client_certificate_that_is_missing_fails_as_no_certificate") {
    Certs c;
    std::string error;
    auto ctx = TlsContext::create({c.cert, c.key, c.cert, ClientAuth::require_and_verify}, error);
    REQUIRE(ctx);
    TlsSession s(ctx->for_new_connection(0));
    Client client(c.cert);
    std::string plain;
    // TLS 1.3: the server learns of the missing certificate after its Finished.
    TlsSession::Status st = handshake(client, s, plain);
    if (st == TlsSession::Status::ok) {
        const std::string more = client.take();
        std::string out;
        st = s.feed(more.data(), more.size(), plain, out);
    }
    CHECK(st == TlsSession::Status::failed);
    CHECK(s.failure() == HandshakeFailure::no_certificate);
}

TEST_CASE("load_errors_name_the_file_and_a_mismatched_key") {
    Certs c;
    Certs other;
    std::string error;
    CHECK_FALSE(TlsContext::create({c.dir.file("missing.crt"), c.key}, error));
    CHECK(error.find("cert_file " + c.dir.file("missing.crt")) == 0);
    CHECK_FALSE(TlsContext::create({c.cert, other.key}, error));
    CHECK(error.find("does not match cert_file") != std::string::npos);
    CHECK_FALSE(TlsContext::create({c.cert, c.key, c.dir.file("nope.pem"), ClientAuth::require_and_verify}, error));
    CHECK(error.find("client_ca_file") == 0);
}

TEST_CASE("changed_files_are_reloaded_at_most_once_a_second_and_a_bad_one_keeps_the_old") {
    Certs c;
    std::string error;
    auto ctx = TlsContext::create({c.cert, c.key}, error);
    REQUIRE(ctx);
    SSL_CTX* first = ctx->for_new_connection(1000);
    // New files (a rename over the old ones changes the inode).
    const std::string k2 = c.dir.file("new.key"), c2 = c.dir.file("new.crt");
    REQUIRE(test::make_self_signed("rotated", k2, c2));
    REQUIRE(::rename(k2.c_str(), c.key.c_str()) == 0);
    REQUIRE(::rename(c2.c_str(), c.cert.c_str()) == 0);
    CHECK(ctx->for_new_connection(1500) == first);  // checked at most once a second
    SSL_CTX* second = ctx->for_new_connection(2000);
    CHECK(second != first);
    CHECK(ctx->counters().reloads == 1);
    X509* leaf = SSL_CTX_get0_certificate(second);
    char cn[64] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn, sizeof cn);
    CHECK(std::string(cn) == "rotated");
    // A truncated certificate: counted, logged by the caller, old one kept.
    std::ofstream(c.cert + ".tmp") << "-----BEGIN CERTIFICATE-----\nAAAA\n";
    REQUIRE(::rename((c.cert + ".tmp").c_str(), c.cert.c_str()) == 0);
    CHECK(ctx->for_new_connection(3000) == second);
    CHECK(ctx->counters().reload_failures == 1);
    CHECK(ctx->last_reload_error().find("cert_file") == 0);
}

TEST_CASE("plain_http_is_told_apart_from_a_tls_record") {
    CHECK(looks_like_plain_http('G'));
    CHECK(looks_like_plain_http('P'));
    CHECK_FALSE(looks_like_plain_http('\x16'));
    // The canned answer's Content-Length is its body's length.
    const size_t body = kPlainHttpOnTls.size() - kPlainHttpOnTls.find("\r\n\r\n") - 4;
    CHECK(kPlainHttpOnTls.find("Content-Length: " + std::to_string(body) + "\r\n") != std::string_view::npos);
}

// A TLS file that is not a small regular file is refused by name, with the
// same words, at start and on a reload (http/tls.cpp reads it the same way).
TEST_CASE("tls_files_that_are_no_small_regular_files_are_refused_by_name") {
    test::TempDir d;
    REQUIRE(mkfifo(d.file("cert.fifo").c_str(), 0600) == 0);
    http::TlsConfig c;
    c.cert_file = d.file("cert.fifo");
    c.key_file = d.file("absent.key");
    std::string error;
    CHECK_FALSE(http::TlsContext::create(c, error));
    CHECK(error == "cert_file " + d.file("cert.fifo") + ": is a FIFO, not a regular file");
    c.cert_file = "/dev/null";
    CHECK_FALSE(http::TlsContext::create(c, error));
    CHECK(error == "cert_file /dev/null: is a character device, not a regular file");
    c.cert_file = d.path();
    CHECK_FALSE(http::TlsContext::create(c, error));
    CHECK(error.find("is a directory") != std::string::npos);
}

TEST_CASE("alpn_selects_h2_on_an_http2_listener_and_nothing_on_an_http1_one") {
    Certs c;
    std::string error;
    auto ctx = TlsContext::create({c.cert, c.key}, error);
    REQUIRE(ctx);
    const auto selected = [&](bool h2_listener, const std::vector<unsigned char>& offer) {
        TlsSession s(ctx->for_new_connection(0), h2_listener);
        Client client(c.cert);
        REQUIRE(SSL_set_alpn_protos(client.ssl, offer.data(), unsigned(offer.size())) == 0);
        std::string plain;
        REQUIRE(handshake(client, s, plain) == TlsSession::Status::ok);
        const unsigned char* proto = nullptr;
        unsigned len = 0;
        SSL_get0_alpn_selected(client.ssl, &proto, &len);
        return std::string(reinterpret_cast<const char*>(proto), len);
    };
    const std::vector<unsigned char> grpc_offer = {2, 'h', '2'};
    const std::vector<unsigned char> browser_offer = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    const std::vector<unsigned char> http1_offer = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    CHECK(selected(true, grpc_offer) == "h2");
    CHECK(selected(true, browser_offer) == "h2");
    // Without h2 on offer the handshake goes on with no protocol selected.
    CHECK(selected(true, http1_offer).empty());
    // An HTTP/1 listener never selects h2 (as before ALPN).
    CHECK(selected(false, browser_offer).empty());
}
