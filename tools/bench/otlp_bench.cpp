// OTLP ingest benchmark: numbers, not a test (docs/benchmarks.md, "OTLP
// ingest"). Release build: meson setup build-release --buildtype=release.
//
//   otlp_bench [all|throughput|memory|health] [rounds]
//
// 1. Ingest throughput for requests of 1,000 number points (1,000 series,
//    10 metrics x 100 attribute sets, 2 attributes each): simdjson
//    parse-only, decode only, decode + store, and handle_export() whole.
// 2. Peak memory for 1M stored points (1,000 series x 1,000 points).
// 3. GET /api/v1/services for 1,000 services with HTTP duration histograms.
#include <simdjson.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <protozero/pbf_writer.hpp>

#include "otlp/query.hpp"
#include "otlp/receiver.hpp"
#include "otlp/store.hpp"

using namespace mmwatch;
using namespace mmwatch::otlp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;
constexpr int kPointsPerRequest = 1000;

// 10 metrics x 100 points; each point's attributes pick one of 100 sets.
std::string request_body(int64_t t_ns, int round) {
    std::string b;
    b.reserve(200 * kPointsPerRequest);
    b += R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bench"}},)"
         R"({"key":"service.instance.id","value":{"stringValue":"i-1"}}]},"scopeMetrics":[{"scope":{"name":"bench",)"
         R"("version":"1.0"},"metrics":[)";
    const std::string t = std::to_string(t_ns);
    for (int m = 0; m < 10; ++m) {
        if (m) b += ',';
        b += R"({"name":"bench.metric.)" + std::to_string(m) +
             R"(","unit":"By","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[)";
        for (int p = 0; p < kPointsPerRequest / 10; ++p) {
            if (p) b += ',';
            b += R"({"attributes":[{"key":"host","value":{"stringValue":"host-)" + std::to_string(p % 10) +
                 R"("}},{"key":"route","value":{"stringValue":"/api/v)" + std::to_string(p) +
                 R"("}}],"startTimeUnixNano":"1","timeUnixNano":")" + t + R"(","asInt":")" +
                 std::to_string(round * 7 + p) + R"("})";
        }
        b += "]}}";
    }
    b += "]}]}]}";
    return b;
}

std::string health_body(int service, int64_t t_ns, int round) {
    std::string b = R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc-)" +
                    std::to_string(service) + R"("}}]},"scopeMetrics":[{"metrics":[{"name":"http.server.request.duration",)"
                    R"("unit":"s","histogram":{"aggregationTemporality":2,"dataPoints":[)";
    for (int s = 0; s < 2; ++s) {
        if (s) b += ',';
        const int n = (round + 1) * (s ? 1 : 20);
        b += R"({"attributes":[{"key":"http.response.status_code","value":{"intValue":")" +
             std::string(s ? "500" : "200") + R"("}}],"startTimeUnixNano":")" + std::to_string(t_ns - kSec) +
             R"(","timeUnixNano":")" + std::to_string(t_ns) + R"(","count":")" + std::to_string(14 * n) +
             R"(","sum":1.5,"explicitBounds":[0.005,0.01,0.025,0.05,0.075,0.1,0.25,0.5,0.75,1,2.5,5,7.5,10],)"
             R"("bucketCounts":[)";
        for (int i = 0; i < 15; ++i) b += (i ? "," : "") + std::string("\"") + std::to_string(i == 14 ? 0 : n) + "\"";
        b += "]}";
    }
    b += "]}}]}]}]}";
    return b;
}

// The same request as request_body(), as OTLP/protobuf.
std::string request_proto(int64_t t_ns, int round) {
    std::string out;
    protozero::pbf_writer req(out);
    protozero::pbf_writer rm(req, 1);
    {
        protozero::pbf_writer res(rm, 1);
        for (auto [k, v] : {std::pair{"service.name", "bench"}, std::pair{"service.instance.id", "i-1"}}) {
            protozero::pbf_writer kv(res, 1);
            kv.add_string(1, k);
            protozero::pbf_writer any(kv, 2);
            any.add_string(1, v);
        }
    }
    protozero::pbf_writer sm(rm, 2);
    {
        protozero::pbf_writer scope(sm, 1);
        scope.add_string(1, "bench");
        scope.add_string(2, "1.0");
    }
    for (int m = 0; m < 10; ++m) {
        protozero::pbf_writer metric(sm, 2);
        metric.add_string(1, "bench.metric." + std::to_string(m));
        metric.add_string(3, "By");
        protozero::pbf_writer sum(metric, 7);
        for (int p = 0; p < kPointsPerRequest / 10; ++p) {
            protozero::pbf_writer dp(sum, 1);
            for (auto [k, v] : {std::pair{std::string("host"), "host-" + std::to_string(p % 10)},
                                std::pair{std::string("route"), "/api/v" + std::to_string(p)}}) {
                protozero::pbf_writer kv(dp, 7);
                kv.add_string(1, k);
                protozero::pbf_writer any(kv, 2);
                any.add_string(1, v);
            }
            dp.add_fixed64(2, 1);
            dp.add_fixed64(3, uint64_t(t_ns));
            dp.add_sfixed64(6, round * 7 + p);
        }
        sum.add_enum(2, 2);
        sum.add_bool(3, true);
    }
    return out;
}

long rss_kib(const char* field) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
    return -1;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Throughput is timed in this thread's CPU time: the machine is shared, and
// wall time would count other processes' turns on the core.
double cpu_now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void report(const char* what, double secs, uint64_t points, uint64_t bytes) {
    std::printf("  %-34s %8.2f M points/s  %7.1f ns/point  %7.0f MB/s\n", what, double(points) / secs / 1e6,
                secs * 1e9 / double(points), double(bytes) / secs / 1e6);
}

// `rounds` request bodies a second apart, and their size; the first is shown.
std::vector<std::string> make_bodies(int rounds, std::string (*make)(int64_t, int), uint64_t& bytes) {
    std::vector<std::string> bodies;
    for (int r = 0; r < rounds; ++r) {
        bodies.push_back(make(kT0 + int64_t(r) * kSec, r));
        bytes += bodies.back().size();
    }
    std::printf("  body: %zu bytes per request, %.0f bytes per point\n", bodies[0].size(),
                double(bodies[0].size()) / kPointsPerRequest);
    return bodies;
}

// A store whose series stay live through the run (the points go to no
// sink: the history store is benchmarked by history_bench and
// tools/bench/history.sh).
StoreLimits bench_limits(int) {
    StoreLimits limits;
    limits.window_ms = 3600 * 1000;
    return limits;
}

// Every body through a fresh receiver and store, as the daemon takes them.
void bench_receiver(const std::vector<std::string>& bodies, std::string_view content_type, const StoreLimits& limits,
                    uint64_t points, uint64_t bytes) {
    Store store(limits);
    Receiver receiver(store, 64 << 20);
    const double t = cpu_now();
    for (const std::string& b : bodies) {
        const Reply resp = receiver.handle_export({"POST", content_type, base::ContentCoding::identity, b}, kT0);
        if (resp.status != 200) std::printf("  !! status %d\n", resp.status);
    }
    report("handle_export (whole request)", cpu_now() - t, points, bytes);
}

void bench_throughput(int rounds) {
    std::printf("ingest, %d requests of %d points (%d series), one core:\n", rounds, kPointsPerRequest,
                kPointsPerRequest);
    uint64_t bytes = 0;
    const std::vector<std::string> bodies = make_bodies(rounds, request_body, bytes);
    const uint64_t points = uint64_t(rounds) * kPointsPerRequest;
    const StoreLimits limits = bench_limits(rounds);
    Store store(limits);

    Decoder dec;
    DecodedRequest decoded;
    uint64_t values = 0;
    double t = cpu_now();
    for (const std::string& b : bodies) {
        dec.input().assign(b);
        if (!dec.parse_only(values)) std::printf("parse failed\n");
    }
    report("simdjson parse-only (ceiling)", cpu_now() - t, points, bytes);

    t = cpu_now();
    for (const std::string& b : bodies) (void)dec.decode(b, decoded);
    report("decode (OTLP -> flat request)", cpu_now() - t, points, bytes);

    (void)store.ingest(decoded, kT0);  // warm the series once
    Store store2(limits);
    t = cpu_now();
    uint64_t accepted = 0;
    for (const std::string& b : bodies) {
        (void)dec.decode(b, decoded);
        accepted += store2.ingest(decoded, kT0).accepted;
    }
    report("decode + store", cpu_now() - t, points, bytes);
    if (accepted != points) std::printf("  !! accepted %llu of %llu\n", (unsigned long long)accepted, (unsigned long long)points);

    bench_receiver(bodies, "application/json", limits, points, bytes);
}

void bench_memory() {
    constexpr int kRounds = 1000;
    std::printf("memory, 1,000 series after 1,000 points each (identities and latest values):\n");
    // The decoder and a body are warmed up first so that "before" already
    // holds them: the growth is the store's.
    const long start = rss_kib("VmRSS:");
    Decoder decoder;
    DecodedRequest decoded;
    std::string body = request_body(kT0, 0);
    (void)decoder.decode(body, decoded);
    const long before = rss_kib("VmRSS:");
    StoreLimits limits;
    limits.window_ms = 3600 * 1000;
    Store store(limits);
    uint64_t accepted = 0;
    for (int r = 0; r < kRounds; ++r) {
        // Received as sent: a fixed receive time would put rounds past
        // kMaxOtlpClockSkewMs under the clock rule (stored at receipt,
        // then refused as out of order).
        const int64_t t = kT0 + int64_t(r) * kSec;
        body = request_body(t, r);
        (void)decoder.decode(body, decoded);
        accepted += store.ingest(decoded, t).accepted;
    }
    const long after = rss_kib("VmRSS:");
    if (accepted != uint64_t(kRounds) * 1000) std::printf("  !! accepted %llu of %d\n", (unsigned long long)accepted, kRounds * 1000);
    std::printf("  accepted %llu\n", (unsigned long long)accepted);
    std::printf("  RSS: at start %.2f MiB, with decoder warm %.2f MiB, after 1M points %.2f MiB, peak %.2f MiB\n",
                double(start) / 1024, double(before) / 1024, double(after) / 1024, double(rss_kib("VmHWM:")) / 1024);
    std::printf("  store: RSS growth %.2f MiB = %.0f bytes/series; its own estimate %.2f MiB\n",
                double(after - before) / 1024, double(after - before) * 1024 / 1000,
                double(store.memory_bytes()) / 1048576);
    std::printf("  decoder and one 191 KB body: %.2f MiB\n", double(before - start) / 1024);
}

void bench_health() {
    constexpr int kServices = 1000;
    std::printf("GET /api/v1/services with %d services (2 status codes x 15 buckets each):\n", kServices);
    Store store({});
    Decoder dec;
    DecodedRequest decoded;
    std::string body;
    for (int round = 0; round < 3; ++round) {
        const int64_t t = kT0 + int64_t(round) * 5 * kSec;
        for (int s = 0; s < kServices; ++s) {
            body = health_body(s, t, round);
            (void)dec.decode(body, decoded);
            (void)store.ingest(decoded, t);
        }
    }
    std::vector<double> us, cpu_us;
    size_t size = 0;
    for (int i = 0; i < 200; ++i) {
        const auto t = Clock::now();
        const double c = cpu_now();
        const Reply r = services(store, kT0 + 12 * kSec);
        cpu_us.push_back((cpu_now() - c) * 1e6);
        us.push_back(seconds_since(t) * 1e6);
        size = r.body.size();
    }
    std::sort(us.begin(), us.end());
    std::sort(cpu_us.begin(), cpu_us.end());
    std::printf("  %zu bytes of JSON\n", size);
    std::printf("  wall: median %.0f us, p99 %.0f us, max %.0f us\n", us[us.size() / 2], us[us.size() * 99 / 100],
                us.back());
    std::printf("  cpu:  median %.0f us, p99 %.0f us, max %.0f us\n", cpu_us[cpu_us.size() / 2],
                cpu_us[cpu_us.size() * 99 / 100], cpu_us.back());
}

// The same ingest as bench_throughput, sent as OTLP/protobuf.
void bench_protobuf(int rounds) {
    std::printf("protobuf ingest, %d requests of %d points, one core:\n", rounds, kPointsPerRequest);
    uint64_t bytes = 0;
    const std::vector<std::string> bodies = make_bodies(rounds, request_proto, bytes);
    const uint64_t points = uint64_t(rounds) * kPointsPerRequest;
    const StoreLimits limits = bench_limits(rounds);
    // The decoder alone is the parse-only pass: protozero reads in place and
    // the flat request holds views, so there is no cheaper full parse.
    Decoder dec;
    DecodedRequest decoded;
    double t = cpu_now();
    for (const std::string& b : bodies) (void)dec.decode_protobuf(b, decoded);
    report("decode, parse only (ceiling)", cpu_now() - t, points, bytes);
    Store store(limits);
    (void)dec.decode_protobuf(bodies[0], decoded);
    (void)store.ingest(decoded, kT0);  // the series exist, as in steady state
    t = cpu_now();
    uint64_t accepted = 0;
    for (const std::string& b : bodies) {
        (void)dec.decode_protobuf(b, decoded);
        accepted += store.ingest(decoded, kT0).accepted;
    }
    report("decode + store", cpu_now() - t, points, bytes);
    if (accepted != points) std::printf("  !! accepted %llu of %llu\n", (unsigned long long)accepted, (unsigned long long)points);
    bench_receiver(bodies, "application/x-protobuf", limits, points, bytes);
}

}  // namespace

int main(int argc, char** argv) {
    // Run "memory" alone for a clean RSS figure: the other parts leave freed
    // heap behind that the store would reuse without growing RSS.
    const std::string part = argc > 1 ? argv[1] : "all";
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 300;
#define OTLP_BENCH_STR2(x) #x
#define OTLP_BENCH_STR(x) OTLP_BENCH_STR2(x)
    // Stage 1 (structural indexing) dispatches at run time inside libsimdjson;
    // on-demand iteration is inlined, for the target this file was built for.
    std::printf("simdjson %d.%d.%d, stage 1: %s, on-demand inline: %s\n", int(simdjson::SIMDJSON_VERSION_MAJOR),
                int(simdjson::SIMDJSON_VERSION_MINOR), int(simdjson::SIMDJSON_VERSION_REVISION),
                simdjson::get_active_implementation()->name().c_str(),
                OTLP_BENCH_STR(SIMDJSON_BUILTIN_IMPLEMENTATION));
    if (part == "all" || part == "throughput") bench_throughput(rounds);
    if (part == "all" || part == "memory") bench_memory();
    if (part == "all" || part == "health") bench_health();
    if (part == "all" || part == "protobuf") bench_protobuf(rounds);
    return 0;
}
