// Helpers for the OTLP tests: request bodies, requests as HTTP parsed them
// and as the router hands them to the receiver, and gzip compression
// (zlib), so tests read as the hazard they pin.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.hpp"
#include "otlp/receiver.hpp"
#include "otlp/store.hpp"

namespace mmwatch::test {

// A store and the receiver that feeds it, as the daemon wires them.
struct OtlpRig {
    otlp::Store store;
    otlp::Receiver receiver;
    explicit OtlpRig(otlp::StoreLimits limits = {}, uint64_t max_body_bytes = 1 << 20)
        : store(limits), receiver(store, max_body_bytes) {}
};

// One resourceMetrics with service.name `service`, one scope, `metrics`
// being the JSON array body of "metrics": [...].
inline std::string otlp_body(std::string_view metrics, std::string_view service = "checkout") {
    std::string b = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":")";
    b += service;
    b += R"("}}]},"scopeMetrics":[{"scope":{"name":"test.scope","version":"1.2"},"metrics":[)";
    b += metrics;
    b += "]}]}]}";
    return b;
}

inline std::string gauge_metric(std::string_view name, double v, int64_t t_ns, std::string_view attrs = "[]") {
    std::string m = R"({"name":")";
    m += name;
    m += R"(","gauge":{"dataPoints":[{"attributes":)";
    m += attrs;
    m += R"(,"timeUnixNano":")" + std::to_string(t_ns) + R"(","asDouble":)" + std::to_string(v) + "}]}}";
    return m;
}

inline std::string sum_metric(std::string_view name, double v, int64_t t_ns, int temporality, bool monotonic,
                              std::string_view attrs = "[]") {
    std::string m = R"({"name":")";
    m += name;
    m += R"(","sum":{"aggregationTemporality":)" + std::to_string(temporality) +
         R"(,"isMonotonic":)" + (monotonic ? "true" : "false") + R"(,"dataPoints":[{"attributes":)";
    m += attrs;
    m += R"(,"timeUnixNano":")" + std::to_string(t_ns) + R"(","asDouble":)" + std::to_string(v) + "}]}}";
    return m;
}

struct TestRequest {
    http::Request req;
    std::string body;

    TestRequest(std::string_view method, std::string_view path, std::string_view query, std::string b,
                std::string_view content_type = "application/json", std::string_view encoding = {})
        : body(std::move(b)) {
        req.method = method;
        req.path = path;
        req.target = path;
        req.query = query;
        req.headers[req.header_count++] = {"Content-Type", content_type};
        if (!encoding.empty()) req.headers[req.header_count++] = {"Content-Encoding", encoding};
        req.body = body;
        req.content_length = body.size();
    }
    TestRequest(const TestRequest&) = delete;

    // What the daemon's router hands the receiver (daemon/routes.cpp).
    [[nodiscard]] otlp::ExportRequest export_request() const {
        return {req.method, http::media_type(req), http::content_coding(req), req.body};
    }
};

inline std::string gzip(std::string_view in) {
    z_stream zs{};
    deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&zs, uLong(in.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = uInt(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = uInt(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace mmwatch::test
