#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "daemon/web_config.hpp"
#include "support/temp_dir.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

namespace {

constexpr const char* kHash = "$2y$10$fTJNaw1p4gGkeixSWKV8XO7C0mDcy7bBbgZEZdVbu3yz0oGxWZq8i";

std::string load(const test::TempDir& d, const std::string& yaml, WebConfig& out) {
    std::ofstream(d.file("web.yml")) << yaml;
    std::string error;
    if (!load_web_config(d.file("web.yml"), out, error)) return error;
    return "";
}

}  // namespace

TEST_CASE("web_config_keys_paths_relative_to_the_file_and_headers") {
    test::TempDir d;
    WebConfig w;
    const std::string err = load(d,
                                 "tls_server_config:\n"
                                 "  cert_file: certs/server.crt\n"
                                 "  key_file: /abs/server.key\n"
                                 "  client_ca_file: ca.crt\n"
                                 "  client_auth_type: RequireAndVerifyClientCert\n"
                                 "  client_allowed_sans: [scraper.example]\n"
                                 "  min_version: TLS13\n"
                                 "basic_auth_users:\n"
                                 "  prom: " + std::string(kHash) + "\n"
                                 "http_server_config:\n"
                                 "  headers:\n"
                                 "    X-Frame-Options: deny\n",
                                 w);
    REQUIRE(err == "");
    REQUIRE(w.tls);
    CHECK(w.tls->cert_file == d.path() + "/certs/server.crt");
    CHECK(w.tls->key_file == "/abs/server.key");
    CHECK(w.tls->client_ca_file == d.path() + "/ca.crt");
    CHECK(w.tls->client_auth == http::ClientAuth::require_and_verify);
    CHECK(w.tls->client_allowed_sans == std::vector<std::string>{"scraper.example"});
    CHECK(w.tls->min_version == 0x0304);
    CHECK(w.auth.users.at("prom") == kHash);
    CHECK(w.response_headers == "X-Frame-Options: deny\r\n");
}

TEST_CASE("web_config_errors_name_the_key") {
    test::TempDir d;
    WebConfig w;
    CHECK(load(d, "tls_server_config:\n  cert_file: a\n", w).find("tls_server_config.key_file is missing") !=
          std::string::npos);
    CHECK(load(d, "tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [x]\n", w)
              .find("unknown key tls_server_config.cipher_suites") != std::string::npos);
    CHECK(load(d, "basic_auth: {}\n", w).find("unknown key basic_auth") != std::string::npos);
    CHECK(load(d, "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n", w)
              .find("client_auth_type: Always is not one of") != std::string::npos);
    CHECK(load(d, "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n", w)
              .find("client_ca_file is needed") != std::string::npos);
    CHECK(load(d, "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS99\n", w)
              .find("min_version: TLS99") != std::string::npos);
    CHECK(load(d, "basic_auth_users:\n  prom: plaintext\n", w).find("basic_auth_users.prom is not a bcrypt hash") !=
          std::string::npos);
    CHECK(load(d, "http_server_config:\n  headers:\n    Set-Cookie: x\n", w)
              .find("unknown key http_server_config.headers.Set-Cookie") != std::string::npos);
    CHECK(load(d, "tls_server_config: [\n", w).find("--web-config " + d.file("web.yml")) == 0);
    std::string error;
    CHECK_FALSE(load_web_config(d.file("absent.yml"), w, error));
    CHECK(error == "--web-config " + d.file("absent.yml") + ": No such file or directory");
}

// What cannot be a config file is refused in one line, at once: nothing
// waits for a FIFO's writer, reads a device or parses a huge file.
TEST_CASE("a_web_config_that_is_no_small_regular_file_is_refused_without_waiting") {
    test::TempDir d;
    WebConfig w;
    std::string error;
    REQUIRE(mkfifo(d.file("fifo.yml").c_str(), 0600) == 0);
    CHECK_FALSE(load_web_config(d.file("fifo.yml"), w, error));
    CHECK(error == "--web-config " + d.file("fifo.yml") + ": is a FIFO, not a regular file");
    CHECK_FALSE(load_web_config(d.path(), w, error));
    CHECK(error.find("is a directory, not a regular file") != std::string::npos);
    CHECK_FALSE(load_web_config("/dev/zero", w, error));
    CHECK(error.find("is a character device, not a regular file") != std::string::npos);
    const std::string at_cap = "# " + std::string(kMaxWebConfigBytes - 3, 'x') + "\n";
    REQUIRE(at_cap.size() == kMaxWebConfigBytes);
    CHECK(load(d, at_cap, w).empty());  // exactly at the cap: read
    const std::string over = load(d, at_cap + "\n", w);  // one byte over: refused before parsing
    CHECK(over.find("is 65537 bytes, over the 65536 allowed") != std::string::npos);
}

TEST_CASE("an_empty_web_config_turns_nothing_on") {
    test::TempDir d;
    WebConfig w;
    CHECK(load(d, "", w) == "");
    CHECK_FALSE(w.tls);
    CHECK(w.auth.users.empty());
}
