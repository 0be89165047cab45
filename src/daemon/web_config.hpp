// --web-config FILE: the web-config file of prometheus/exporter-toolkit
// (what node_exporter and most exporters accept), the subset mmwatch
// implements, with the same key names and meanings (docs/security.md).
#pragma once

#include <optional>
#include <string>

#include "http/basic_auth.hpp"
#include "http/tls.hpp"

namespace mmwatch::daemon {

// Largest --web-config read: 64 KiB holds some 800 users with their bcrypt
// hashes, and yaml-cpp parses the worst such file (64 KiB of one-character
// nodes) in about 50 ms and 15 MB. A larger one is refused before parsing.
inline constexpr size_t kMaxWebConfigBytes = 64 * 1024;

struct WebConfig {
    std::optional<http::TlsConfig> tls;  // tls_server_config
    http::AuthConfig auth;               // basic_auth_users (empty: no auth)
    std::string response_headers;        // http_server_config.headers, as header lines
};

// Reads and checks `path`. Paths in it are relative to its directory. On
// error returns false with one line naming the file and the key (or why
// the file itself was refused: not a regular file, too large).
[[nodiscard]] bool load_web_config(const std::string& path, WebConfig& out, std::string& error);

}  // namespace mmwatch::daemon
