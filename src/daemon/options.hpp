// The command line: parsing and validation only, no IO. Every flag has a
// default and a range, listed by usage().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <string_view>
#include <vector>

namespace mmwatch::daemon {


struct Options {
    std::string dir;
    std::string listen_host = "127.0.0.1";
    int listen_port = 9479;
    uint64_t interval_ms = 0;
    uint64_t ready_timeout_ms = 0;
    uint64_t stale_after_ms = 0;
    unsigned grouping_power = 0;
    uint64_t max_files = 0;
    uint64_t max_file_bytes = 0;
    uint64_t max_mapped_bytes = 0;
    uint64_t max_series = 0;
    uint64_t max_connections = 0;
    uint64_t max_response_bytes = 0;
    uint64_t max_body_bytes = 0;
    std::string otlp_listen_host;  // empty: no second listener
    int otlp_listen_port = 0;
    std::string otlp_grpc_listen_host;  // empty: no gRPC listener
    int otlp_grpc_listen_port = 0;
    uint64_t otlp_grpc_max_message_bytes = 0;
    uint64_t otlp_window_ms = 0;
    uint64_t otlp_max_series = 0;
    uint64_t otlp_max_bytes = 0;
    uint64_t response_memory = 0;
    uint64_t request_memory = 0;
    std::string event_log;
    std::string web_config;            // --web-config: TLS, basic auth, headers (empty: none)
    // remote_write (docs/scaling.md): one sender per URL, the same options for all.
    std::vector<std::string> remote_write;
    uint64_t remote_write_interval_ms = 0;
    uint64_t remote_write_queue_bytes = 0;
    uint64_t remote_write_timeout_ms = 0;
    std::string remote_write_ca_file;
    std::string remote_write_user;
    std::string remote_write_password_file;
    std::string remote_write_bearer_token_file;
    std::vector<std::string> remote_write_headers;  // "Name: value"
    std::string remote_write_job = "mmwatch";
    std::string remote_write_instance;  // empty: the --listen address as bound
    std::vector<std::pair<std::string, std::string>> external_labels;
    std::string remote_write_spool;  // empty: no spool
    uint64_t remote_write_spool_bytes = 0;
    // The history store (docs/history.md): memory, series cap, sampling,
    // and the directory it is kept in across restarts (empty: memory only).
    uint64_t history_bytes = 0;
    uint64_t history_max_series = 0;
    uint64_t history_interval_ms = 0;
    std::string history_dir;
    uint64_t history_disk_bytes = 0;
    uint64_t history_flush_interval_ms = 0;
    // The query API over the history (docs/query.md): samples one query may
    // hold, its wall time, and queries evaluated at once.
    uint64_t query_max_samples = 0;
    uint64_t query_timeout_ms = 0;
    uint64_t query_max_concurrency = 0;
    bool healthy_without_auth = false; // /-/healthy answers without credentials
    bool help = false;
    bool version = false;
};

// Parses argv. On error returns nullopt and sets `error` to one line that
// names the problem.
[[nodiscard]] std::optional<Options> parse_options(const std::vector<std::string_view>& args, std::string& error);

// "250ms", "2s", "1m", "1h" -> milliseconds.
[[nodiscard]] std::optional<uint64_t> parse_duration_ms(std::string_view s);
// "4096", "64Ki", "256Mi", "1Gi" -> bytes or a count.
[[nodiscard]] std::optional<uint64_t> parse_size(std::string_view s);
// "HOST:PORT" or "[v6]:PORT".
[[nodiscard]] bool parse_listen(std::string_view s, std::string& host, int& port);

[[nodiscard]] std::string usage();

}  // namespace mmwatch::daemon
