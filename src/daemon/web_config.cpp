// Parsed with yaml-cpp (Debian libyaml-cpp-dev), at start-up only: its
// exceptions stop at this file's one try block. The file is read by
// base::read_small_file first (no blocking open, a regular file, at most
// kMaxWebConfigBytes), so yaml-cpp only ever parses a string of bounded
// size.
#include "daemon/web_config.hpp"

#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <new>

#include "base/small_file.hpp"

namespace mmwatch::daemon {

namespace {

// What exporter-toolkit lets http_server_config.headers set.
constexpr std::array<std::string_view, 5> kAllowedHeaders = {
    "Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "X-XSS-Protection",
    "Content-Security-Policy"};

struct Bad {
    std::string why;
};

void only_keys(const YAML::Node& map, std::string_view where, std::initializer_list<std::string_view> keys) {
    if (!map.IsMap()) throw Bad{std::string(where) + " must be a mapping"};
    for (const auto& kv : map) {
        const std::string k = kv.first.as<std::string>();
        bool known = false;
        for (std::string_view allowed : keys) known = known || k == allowed;
        if (!known) throw Bad{"unknown key " + std::string(where) + (where.empty() ? "" : ".") + k};
    }
}

std::string scalar(const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) throw Bad{key + " must be a string"};
    return n.as<std::string>();
}

std::string file_path(const YAML::Node& n, const std::string& key, const std::string& base_dir) {
    std::string p = scalar(n, key);
    if (p.empty()) throw Bad{key + " is empty"};
    if (p[0] != '/' && !base_dir.empty()) p = base_dir + "/" + p;
    return p;
}

int tls_version(const YAML::Node& n, const std::string& key) {
    const std::string v = scalar(n, key);
    if (v == "TLS10") return TLS1_VERSION;
    if (v == "TLS11") return TLS1_1_VERSION;
    if (v == "TLS12") return TLS1_2_VERSION;
    if (v == "TLS13") return TLS1_3_VERSION;
    throw Bad{key + ": " + v + " is not one of TLS10, TLS11, TLS12, TLS13"};
}

http::ClientAuth client_auth(const std::string& v) {
    if (v == "NoClientCert" || v.empty()) return http::ClientAuth::none;
    if (v == "RequestClientCert") return http::ClientAuth::request;
    if (v == "RequireAnyClientCert") return http::ClientAuth::require_any;
    if (v == "VerifyClientCertIfGiven") return http::ClientAuth::verify_if_given;
    if (v == "RequireAndVerifyClientCert") return http::ClientAuth::require_and_verify;
    throw Bad{"tls_server_config.client_auth_type: " + v +
              " is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
              "RequireAndVerifyClientCert"};
}

http::TlsConfig parse_tls(const YAML::Node& t, const std::string& dir) {
    only_keys(t, "tls_server_config",
              {"cert_file", "key_file", "client_ca_file", "client_auth_type", "client_allowed_sans", "min_version",
               "max_version"});
    http::TlsConfig c;
    if (!t["cert_file"]) throw Bad{"tls_server_config.cert_file is missing"};
    if (!t["key_file"]) throw Bad{"tls_server_config.key_file is missing"};
    c.cert_file = file_path(t["cert_file"], "tls_server_config.cert_file", dir);
    c.key_file = file_path(t["key_file"], "tls_server_config.key_file", dir);
    if (t["client_ca_file"]) c.client_ca_file = file_path(t["client_ca_file"], "tls_server_config.client_ca_file", dir);
    if (t["client_auth_type"]) c.client_auth = client_auth(scalar(t["client_auth_type"], "tls_server_config.client_auth_type"));
    const bool verifies = c.client_auth == http::ClientAuth::verify_if_given ||
                          c.client_auth == http::ClientAuth::require_and_verify;
    if (verifies && c.client_ca_file.empty())
        throw Bad{"tls_server_config.client_ca_file is needed to verify client certificates"};
    if (const YAML::Node sans = t["client_allowed_sans"]) {
        if (!sans.IsSequence()) throw Bad{"tls_server_config.client_allowed_sans must be a list"};
        for (const auto& s : sans) c.client_allowed_sans.push_back(scalar(s, "tls_server_config.client_allowed_sans"));
        if (c.client_auth == http::ClientAuth::none)
            throw Bad{"tls_server_config.client_allowed_sans needs a client_auth_type that asks for certificates"};
    }
    if (t["min_version"]) c.min_version = tls_version(t["min_version"], "tls_server_config.min_version");
    if (t["max_version"]) c.max_version = tls_version(t["max_version"], "tls_server_config.max_version");
    if (c.min_version && c.max_version && c.min_version > c.max_version)
        throw Bad{"tls_server_config.min_version is above max_version"};
    return c;
}

}  // namespace

bool load_web_config(const std::string& path, WebConfig& out, std::string& error) {
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    try {
        std::string text, why;
        if (!base::read_small_file(path, kMaxWebConfigBytes, text, why)) throw Bad{why};
        const YAML::Node root = YAML::Load(text);
        out = {};
        if (root.IsNull()) return true;  // an empty file: nothing on
        only_keys(root, "", {"tls_server_config", "basic_auth_users", "http_server_config"});
        if (const YAML::Node t = root["tls_server_config"]; t && !t.IsNull()) out.tls = parse_tls(t, dir);
        if (const YAML::Node u = root["basic_auth_users"]; u && !u.IsNull()) {
            if (!u.IsMap()) throw Bad{"basic_auth_users must map users to bcrypt hashes"};
            for (const auto& kv : u) {
                const std::string user = kv.first.as<std::string>();
                const std::string hash = scalar(kv.second, "basic_auth_users." + user);
                if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2')
                    throw Bad{"basic_auth_users." + user + " is not a bcrypt hash (htpasswd -nBC 10 USER)"};
                if (user.find(':') != std::string::npos) throw Bad{"basic_auth_users: user " + user + " has a ':'"};
                out.auth.users.emplace(user, hash);
            }
        }
        if (const YAML::Node h = root["http_server_config"]; h && !h.IsNull()) {
            only_keys(h, "http_server_config", {"headers", "http2"});
            if (const YAML::Node headers = h["headers"]; headers && !headers.IsNull()) {
                only_keys(headers, "http_server_config.headers",
                          {kAllowedHeaders[0], kAllowedHeaders[1], kAllowedHeaders[2], kAllowedHeaders[3],
                           kAllowedHeaders[4]});
                for (const auto& kv : headers) {
                    const std::string name = kv.first.as<std::string>();
                    const std::string value = scalar(kv.second, "http_server_config.headers." + name);
                    if (value.find_first_of("\r\n") != std::string::npos)
                        throw Bad{"http_server_config.headers." + name + " has a line break"};
                    out.response_headers += name + ": " + value + "\r\n";
                }
            }
        }
        return true;
    } catch (const Bad& b) {
        error = "--web-config " + path + ": " + b.why;
    } catch (const YAML::Exception& e) {
        error = "--web-config " + path + ": " + e.what();
    } catch (const std::bad_alloc&) {
        error = "--web-config " + path + ": out of memory reading it";
    }
    return false;
}

}  // namespace mmwatch::daemon
