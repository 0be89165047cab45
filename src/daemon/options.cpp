#include "daemon/options.hpp"

#include <charconv>
#include <functional>

#include "base/limits.hpp"

namespace mmwatch::daemon {

namespace {

std::optional<uint64_t> parse_u64(std::string_view s) {
    uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

struct Flag {
    std::string_view name;
    std::string_view arg;      // empty: takes no value
    std::string_view help;
    std::function<bool(Options&, std::string_view)> apply;  // false: bad value
    std::string_view short_name = {};  // "-h": the same flag, shown as "-h, --help"
};

template <typename T>
auto number_in(T Options::*field, uint64_t lo, uint64_t hi) {
    return [=](Options& o, std::string_view v) {
        const auto n = parse_size(v);
        if (!n || *n < lo || *n > hi) return false;
        o.*field = T(*n);
        return true;
    };
}

auto duration_in(uint64_t Options::*field, uint64_t lo_ms, uint64_t hi_ms) {
    return [=](Options& o, std::string_view v) {
        const auto n = parse_duration_ms(v);
        if (!n || *n < lo_ms || *n > hi_ms) return false;
        o.*field = *n;
        return true;
    };
}

// A path, URL part or name: any value but an empty one.
auto text(std::string Options::*field) {
    return [=](Options& o, std::string_view v) {
        o.*field = v;
        return !v.empty();
    };
}

constexpr uint64_t kHourMs = 3'600'000;

const std::vector<Flag>& flags() {
    static const std::vector<Flag> f = {
        {"--dir", "DIR", "directory of metric files to watch (required)",
         text(&Options::dir)},
        {"--listen", "HOST:PORT", "HTTP address; port 0 picks a free port (default 127.0.0.1:9479)",
         [](Options& o, std::string_view v) { return parse_listen(v, o.listen_host, o.listen_port); }},
        {"--interval", "DUR", "how often mapped files are copied, 10ms..1h (default 1s)",
         duration_in(&Options::interval_ms, 10, kHourMs)},
        {"--ready-timeout", "DUR", "how long a file may stay not ready before it is rejected, 0..1h (default 5s)",
         duration_in(&Options::ready_timeout_ms, 0, kHourMs)},
        {"--stale-after", "DUR", "mark a file stale when its data has not changed this long, 0 = off (default 5m)",
         duration_in(&Options::stale_after_ms, 0, 24 * kHourMs)},
        {"--histogram-grouping-power", "N", "histogram bucket resolution on /metrics, 0..16 (default 3)",
         number_in(&Options::grouping_power, 0, 16)},
        {"--max-files", "N",
         "files watched at once, 1..1000000 (default 4096); each holds an fd, so at most RLIMIT_NOFILE (raised to "
         "its hard limit) less 32 and one per connection: past that, files wait (counted)",
         number_in(&Options::max_files, 1, 1'000'000)},
        {"--max-file-bytes", "SIZE", "largest file accepted, 16..1Ti (default 256Mi)",
         number_in(&Options::max_file_bytes, 16, uint64_t{1} << 40)},
        {"--max-mapped-bytes", "SIZE", "total bytes mapped across files, 16..16Ti (default 1Gi)",
         number_in(&Options::max_mapped_bytes, 16, uint64_t{1} << 44)},
        {"--max-series", "N", "file series exposed on /metrics, 1..4294967296 (default 1000000)",
         number_in(&Options::max_series, 1, uint64_t{1} << 32)},
        {"--max-connections", "N",
         "concurrent HTTP connections per listener, 2..65536 (default 256); a quarter is for new connections, "
         "the rest for those that completed a request (docs/operations.md)",
         number_in(&Options::max_connections, 2, 65536)},
        {"--max-response-bytes", "SIZE", "largest /metrics body, 4Ki..16Gi (default 64Mi)",
         number_in(&Options::max_response_bytes, 4096, uint64_t{1} << 34)},
        {"--max-body-bytes", "SIZE", "largest request body, after decompression, 1Ki..1Gi (default 4Mi)",
         number_in(&Options::max_body_bytes, 1024, uint64_t{1} << 30)},
        {"--response-memory", "SIZE",
         "bytes of response bodies connections may hold, old bodies of slow readers included, per listener; "
         "over it the slowest reader of an old body is cut, 1Mi..1Ti (default 128Mi)",
         number_in(&Options::response_memory, uint64_t{1} << 20, uint64_t{1} << 40)},
        {"--request-memory", "SIZE",
         "bytes of request buffers connections may hold, per listener; a request past it gets 503 and "
         "Retry-After, 1Mi..1Ti (default 64Mi)",
         number_in(&Options::request_memory, uint64_t{1} << 20, uint64_t{1} << 40)},
        {"--otlp-listen", "HOST:PORT", "extra listener for OTLP POST /v1/metrics, e.g. 0.0.0.0:4318 (default off)",
         [](Options& o, std::string_view v) { return parse_listen(v, o.otlp_listen_host, o.otlp_listen_port); }},
        {"--otlp-grpc-listen", "HOST:PORT",
         "listener for OTLP over gRPC (MetricsService/Export; HTTP/2, TLS with ALPN h2 when --web-config "
         "enables TLS), e.g. 0.0.0.0:4317 (default off)",
         [](Options& o, std::string_view v) { return parse_listen(v, o.otlp_grpc_listen_host, o.otlp_grpc_listen_port); }},
        {"--otlp-grpc-max-message-bytes", "SIZE",
         "largest gRPC message, as sent and after decompression, 1Ki..64Mi (default 4Mi); over it the call "
         "is RESOURCE_EXHAUSTED",
         number_in(&Options::otlp_grpc_max_message_bytes, base::kMinGrpcMaxMessageBytes, base::kMaxGrpcMaxMessageBytes)},
        {"--otlp-window", "DUR", "how long an OTLP series stays on /metrics after its last point, 1s..24h (default 5m)",
         duration_in(&Options::otlp_window_ms, 1000, 24 * kHourMs)},
        {"--otlp-max-series", "N", "distinct OTLP series stored, 1..10000000 (default 100000)",
         number_in(&Options::otlp_max_series, 1, 10'000'000)},
        {"--otlp-max-bytes", "SIZE",
         "memory for OTLP series identities (names, labels, latest values), 1Mi..64Gi (default 32Mi)",
         number_in(&Options::otlp_max_bytes, uint64_t{1} << 20, uint64_t{64} << 30)},
        {"--event-log", "FILE", "append one tab-separated line per event to FILE",
         text(&Options::event_log)},
        {"--web-config", "FILE",
         "TLS, mTLS, basic auth and response headers for both listeners, in the exporter-toolkit web-config "
         "format (docs/security.md)",
         text(&Options::web_config)},
        {"--healthy-without-auth", "", "answer /-/healthy without basic auth credentials (default: asks for them)",
         [](Options& o, std::string_view) { o.healthy_without_auth = true; return true; }},
        {"--remote-write", "URL",
         "push every series of /metrics to this Prometheus remote_write URL; repeatable, one queue each "
         "(docs/scaling.md)",
         [](Options& o, std::string_view v) {
             o.remote_write.emplace_back(v);
             return v.starts_with("http://") || v.starts_with("https://");
         }},
        {"--remote-write-interval", "DUR", "how often the series are sampled and pushed, 1s..1h (default 15s)",
         duration_in(&Options::remote_write_interval_ms, 1000, kHourMs)},
        {"--remote-write-queue-bytes", "SIZE",
         "compressed batches each URL may hold while its receiver is slow or away; the oldest go first, "
         "64Ki..1Ti (default 64Mi)",
         number_in(&Options::remote_write_queue_bytes, uint64_t{1} << 16, uint64_t{1} << 40)},
        {"--remote-write-timeout", "DUR", "request timeout, 1s..10m (default 30s)",
         duration_in(&Options::remote_write_timeout_ms, 1000, 600'000)},
        {"--remote-write-ca-file", "FILE", "CA certificates for https:// receivers (default: the system's)",
         text(&Options::remote_write_ca_file)},
        {"--remote-write-user", "USER", "basic auth user (the password from --remote-write-password-file)",
         text(&Options::remote_write_user)},
        {"--remote-write-password-file", "FILE", "basic auth password, the file's first line",
         text(&Options::remote_write_password_file)},
        {"--remote-write-bearer-token-file", "FILE", "Authorization: Bearer token, re-read for each request",
         text(&Options::remote_write_bearer_token_file)},
        {"--remote-write-header", "'NAME: VALUE'", "an extra request header (e.g. X-Scope-OrgID: tenant); repeatable",
         [](Options& o, std::string_view v) {
             o.remote_write_headers.emplace_back(v);
             return v.find(':') != std::string_view::npos && v.find_first_of("\r\n") == std::string_view::npos;
         }},
        {"--remote-write-job", "NAME", "the job label of pushed series, as a scrape config's job_name (default mmwatch)",
         text(&Options::remote_write_job)},
        {"--remote-write-instance", "VALUE", "the instance label of pushed series (default: the --listen address)",
         text(&Options::remote_write_instance)},
        {"--remote-write-spool", "DIR",
         "write every batch to disk before it is sent (a directory per URL), sent in order, also after a restart or "
         "a SIGKILL (default: memory only)",
         text(&Options::remote_write_spool)},
        {"--remote-write-spool-bytes", "SIZE",
         "disk the spool may use per URL; the oldest batches go first, 1Mi..1Ti (default 256Mi)",
         number_in(&Options::remote_write_spool_bytes, uint64_t{1} << 20, uint64_t{1} << 40)},
        {"--external-label", "NAME=VALUE", "added to every pushed series that lacks it; repeatable",
         [](Options& o, std::string_view v) {
             const size_t eq = v.find('=');
             if (eq == 0 || eq == std::string_view::npos) return false;
             o.external_labels.emplace_back(std::string(v.substr(0, eq)), std::string(v.substr(eq + 1)));
             return true;
         }},
        {"--history-bytes", "SIZE",
         "memory for the history store (samples, tiers, series, index), 1Mi..64Gi; past it the oldest data goes "
         "first, counted (default 32Mi)",
         number_in(&Options::history_bytes, base::kMinHistoryBytes, uint64_t{64} << 30)},
        {"--history-max-series", "N", "distinct series the history store keeps, 1..10000000 (default 100000)",
         number_in(&Options::history_max_series, 1, 10'000'000)},
        {"--history-interval", "DUR", "how often /metrics' series are sampled into history, 1s..1h (default 15s)",
         duration_in(&Options::history_interval_ms, 1000, kHourMs)},
        {"--history-dir", "DIR",
         "keep history across restarts in segment files in DIR (default: memory only; the package uses "
         "/var/lib/mmwatch/history)",
         text(&Options::history_dir)},
        {"--history-disk-bytes", "SIZE", "disk the segments in --history-dir may use; the oldest go first, 4Mi..1Ti "
         "(default 256Mi)",
         number_in(&Options::history_disk_bytes, uint64_t{4} << 20, uint64_t{1} << 40)},
        {"--history-flush-interval", "DUR",
         "how often new history is written to --history-dir; a crash loses at most this, 10s..24h (default 5m)",
         duration_in(&Options::history_flush_interval_ms, 10'000, 24 * kHourMs)},
        {"--query-max-samples", "N",
         "samples one PromQL query may hold at once (as Prometheus's --query.max-samples), 1000..1000000000 "
         "(default 5000000)",
         number_in(&Options::query_max_samples, 1000, 1'000'000'000)},
        {"--query-timeout", "DUR", "wall time one PromQL query may take, 1s..1h (default 2m)",
         duration_in(&Options::query_timeout_ms, 1000, kHourMs)},
        {"--query-max-concurrency", "N", "PromQL queries evaluated at once; one more is refused 503, 1..64 (default 4)",
         number_in(&Options::query_max_concurrency, 1, 64)},
        {"--help", "", "show this help and exit", [](Options& o, std::string_view) { o.help = true; return true; },
         "-h"},
        {"--version", "", "print the version and exit",
         [](Options& o, std::string_view) { o.version = true; return true; }},
    };
    return f;
}

}  // namespace

std::optional<uint64_t> parse_duration_ms(std::string_view s) {
    struct Unit {
        std::string_view suffix;
        uint64_t ms;
    };
    static constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", kHourMs}};
    if (s == "0") return 0;  // "off" needs no unit
    for (const Unit& u : kUnits) {
        if (s.size() > u.suffix.size() && s.substr(s.size() - u.suffix.size()) == u.suffix) {
            const auto n = parse_u64(s.substr(0, s.size() - u.suffix.size()));
            // "5m" must not parse as 5 with suffix "m" of "ms" and so on:
            // the digits-only check in parse_u64 guarantees that.
            if (!n || *n > UINT64_MAX / u.ms) return std::nullopt;
            return *n * u.ms;
        }
    }
    return std::nullopt;
}

std::optional<uint64_t> parse_size(std::string_view s) {
    struct Unit {
        std::string_view suffix;
        uint64_t factor;
    };
    static constexpr Unit kUnits[] = {{"Ki", 1ull << 10}, {"Mi", 1ull << 20}, {"Gi", 1ull << 30}, {"", 1}};
    for (const Unit& u : kUnits) {
        if (s.size() >= u.suffix.size() && s.substr(s.size() - u.suffix.size()) == u.suffix) {
            const auto n = parse_u64(s.substr(0, s.size() - u.suffix.size()));
            if (!n || *n > UINT64_MAX / u.factor) return std::nullopt;
            return *n * u.factor;
        }
    }
    return std::nullopt;
}

bool parse_listen(std::string_view s, std::string& host, int& port) {
    const size_t colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view h = s.substr(0, colon);
    if (h.front() == '[') {
        if (h.size() < 3 || h.back() != ']') return false;
        h = h.substr(1, h.size() - 2);
    } else if (h.find(':') != std::string_view::npos) {
        return false;  // a bare IPv6 address needs brackets
    }
    const auto p = parse_u64(s.substr(colon + 1));
    if (!p || *p > 65535) return false;
    host = h;
    port = int(*p);
    return true;
}

std::optional<Options> parse_options(const std::vector<std::string_view>& args, std::string& error) {
    Options o;
    o.interval_ms = base::kDefaultIntervalMs;
    o.ready_timeout_ms = base::kDefaultReadyTimeoutMs;
    o.stale_after_ms = base::kDefaultStaleAfterMs;
    o.grouping_power = base::kDefaultExpositionGroupingPower;
    o.max_files = base::kDefaultMaxFiles;
    o.max_file_bytes = base::kDefaultMaxFileBytes;
    o.max_mapped_bytes = base::kDefaultMaxMappedBytes;
    o.max_series = 1'000'000;
    o.max_connections = base::kDefaultMaxConnections;
    o.max_response_bytes = base::kDefaultMaxResponseBytes;
    o.max_body_bytes = base::kDefaultMaxBodyBytes;
    o.response_memory = base::kDefaultResponseMemory;
    o.request_memory = base::kDefaultRequestMemory;
    o.otlp_grpc_max_message_bytes = base::kDefaultGrpcMaxMessageBytes;
    o.otlp_window_ms = base::kDefaultOtlpWindowMs;
    o.otlp_max_series = base::kDefaultOtlpMaxSeries;
    o.otlp_max_bytes = base::kDefaultOtlpMaxBytes;
    o.remote_write_interval_ms = 15'000;
    o.remote_write_queue_bytes = uint64_t{64} << 20;
    o.remote_write_timeout_ms = 30'000;
    o.remote_write_spool_bytes = uint64_t{256} << 20;
    o.history_bytes = base::kDefaultHistoryBytes;
    o.history_max_series = base::kDefaultHistoryMaxSeries;
    o.history_interval_ms = base::kDefaultHistoryIntervalMs;
    o.history_disk_bytes = base::kDefaultHistoryDiskBytes;
    o.history_flush_interval_ms = base::kDefaultHistoryFlushMs;
    o.query_max_samples = base::kDefaultQueryMaxSamples;
    o.query_timeout_ms = base::kDefaultQueryTimeoutMs;
    o.query_max_concurrency = base::kDefaultQueryConcurrency;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        std::string_view value;
        bool inline_value = false;
        if (const size_t eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
            inline_value = true;
        }
        const Flag* flag = nullptr;
        for (const Flag& f : flags()) {
            if (f.name == a || (!f.short_name.empty() && f.short_name == a)) flag = &f;
        }
        if (!flag) {
            error = "unknown argument '" + std::string(args[i]) + "' (see --help)";
            return std::nullopt;
        }
        if (!flag->arg.empty() && !inline_value) {
            if (i + 1 == args.size()) {
                error = std::string(a) + " needs a value: " + std::string(flag->arg);
                return std::nullopt;
            }
            value = args[++i];
        }
        if (!flag->apply(o, value)) {
            error = "invalid value '" + std::string(value) + "' for " + std::string(a) + ": " + std::string(flag->help);
            return std::nullopt;
        }
    }
    if (!o.help && !o.version && o.dir.empty()) {
        error = "--dir is required (see --help)";
        return std::nullopt;
    }
    return o;
}

std::string usage() {
    std::string out =
        "usage: mmwatch --dir DIR [options]\n"
        "       mmwatch top [URL] [options]   a terminal view of a running mmwatch\n"
        "                                     (mmwatch top --help; docs/top.md)\n\n"
        "Watches DIR for memory-mapped metric files (REZL v1.0), maps them read-only\n"
        "and serves their values over HTTP: /metrics (Prometheus text 0.0.4, OpenMetrics\n"
        "1.0 or protobuf with native histograms, chosen by the Accept header or\n"
        "?format=text|openmetrics|protobuf; gzip when Accept-Encoding allows; see\n"
        "docs/http.md), /api/v1/sources (JSON), /-/healthy, and / (a page linking them).\n"
        "It also receives OTLP/HTTP metrics (protobuf or JSON) on POST /v1/metrics, and\n"
        "OTLP over gRPC with --otlp-grpc-listen (docs/grpc.md), and serves them on\n"
        "/metrics and /api/v1/services (see docs/otlp.md). It keeps the history of\n"
        "every series (sampled every --history-interval, OTLP points at their own\n"
        "times, and Prometheus remote-write received on POST /api/v1/write), exports\n"
        "it on /api/v1/export (see docs/history.md) and answers PromQL over it with\n"
        "the Prometheus HTTP API: /api/v1/query, /api/v1/query_range, /api/v1/series,\n"
        "/api/v1/labels, /api/v1/label/NAME/values, /api/v1/metadata and\n"
        "/api/v1/status/buildinfo (see docs/query.md).\n\n"
        "Durations: 250ms, 2s, 1m, 1h. Sizes: 4096, 64Ki, 256Mi, 1Gi.\n\noptions:\n";
    for (const Flag& f : flags()) {
        std::string left = "  ";
        if (!f.short_name.empty()) left += std::string(f.short_name) + ", ";
        left += f.name;
        if (!f.arg.empty()) left += " " + std::string(f.arg);
        if (left.size() < 34) left.resize(34, ' ');
        else left += "\n" + std::string(34, ' ');
        out += left + std::string(f.help) + "\n";
    }
    out += "\nExit status: 0 after SIGINT/SIGTERM, 2 on a bad flag, a missing directory or a busy port.\n";
    return out;
}

}  // namespace mmwatch::daemon
