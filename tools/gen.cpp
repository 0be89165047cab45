// mmwatch-gen: creates N synthetic producer files with the producer library
// and keeps updating them until SIGINT/SIGTERM (or --seconds), then removes
// them. For the demo, black-box tests and benchmarks of the daemon.
#include <time.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mmwatch/h2.hpp"
#include "daemon/version.h"
#include "mmwatch/producer.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitFailed = 2;
// Far beyond any demo, low enough that a typo cannot fill a disk or the
// daemon's --max-files.
constexpr long kMaxFiles = 10'000;
constexpr long kMaxMetricsPerFile = 1024;  // the format's limit
constexpr double kMaxRateHz = 100'000;
// Histogram values recorded per histogram per tick.
constexpr int kRecordsPerTick = 8;
constexpr long kNanosPerSecond = 1'000'000'000;

volatile std::sig_atomic_t g_stop = 0;  // only the signal handler writes it

void on_signal(int) { g_stop = 1; }

struct Args {
    std::string dir;
    long files = 1;
    long metrics = 10;
    long histograms = 0;
    double rate_hz = 10;
    long g = 4;
    long m = 32;
    double seconds = 0;  // 0: until signalled
};

void usage(FILE* to) {
    std::fprintf(to,
                 "usage: mmwatch-gen --dir D --files N --metrics M [--histograms H] [--rate HZ]\n"
                 "                   [--g G] [--m M] [--seconds S]\n"
                 "Creates N files D/gen-0000.rezl ... with M metrics each (H of them H2 histograms,\n"
                 "the rest counters and gauges, alternating) and updates every metric HZ times a\n"
                 "second until SIGINT/SIGTERM or S seconds, then removes the files.\n"
                 "  --files      1..%ld (default 1)      --metrics     1..%ld (default 10)\n"
                 "  --histograms 0..M (default 0)       --rate        (0, %g] Hz (default 10)\n"
                 "  --g, --m     histogram grouping and max value powers (default 4, 32)\n"
                 "  --seconds    stop after this long (default: run until signalled)\n"
                 "  --help, --version\n",
                 kMaxFiles, kMaxMetricsPerFile, kMaxRateHz);
}

bool parse_number(const char* text, double& out) {
    char* end = nullptr;
    out = std::strtod(text, &end);
    return end != text && *end == '\0';
}

// Returns an error message, or empty when the arguments are valid.
std::string parse_args(int argc, char** argv, Args& a) {
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) return "missing value for " + flag;
        const char* value = argv[++i];
        double n = 0;
        if (flag == "--dir") { a.dir = value; continue; }
        if (!parse_number(value, n)) return "not a number for " + flag + ": " + value;
        if (flag == "--files") a.files = long(n);
        else if (flag == "--metrics") a.metrics = long(n);
        else if (flag == "--histograms") a.histograms = long(n);
        else if (flag == "--rate") a.rate_hz = n;
        else if (flag == "--g") a.g = long(n);
        else if (flag == "--m") a.m = long(n);
        else if (flag == "--seconds") a.seconds = n;
        else return "unknown option " + flag;
    }
    if (a.dir.empty()) return "--dir is required";
    if (a.files < 1 || a.files > kMaxFiles) return "--files out of range";
    if (a.metrics < 1 || a.metrics > kMaxMetricsPerFile) return "--metrics out of range";
    if (a.histograms < 0 || a.histograms > a.metrics) return "--histograms must be 0..--metrics";
    if (!(a.rate_hz > 0 && a.rate_hz <= kMaxRateHz)) return "--rate out of range";
    if (a.g < 0 || a.m < 0 || !mmwatch::h2::valid_config(unsigned(a.g), unsigned(a.m))) {
        return "--g/--m: need g < m <= 64 and at most 65536 buckets";
    }
    if (a.seconds < 0) return "--seconds must be >= 0";
    return {};
}

// xorshift64: cheap, deterministic per file, good enough for fake traffic.
uint64_t next(uint64_t& s) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

struct GenFile {
    std::unique_ptr<mmwatch::Producer> producer;
    std::vector<mmwatch::ProducerCounter> counters;
    std::vector<mmwatch::ProducerGauge> gauges;
    std::vector<mmwatch::ProducerHistogram> histograms;
    uint64_t rng = 0;
};

// Prometheus-clean names: counters end in _total, histograms carry a unit.
mmwatch::Status make_file(const Args& a, long index, GenFile& f) {
    char name[32];
    std::snprintf(name, sizeof name, "gen-%04ld", index);
    f.producer = std::make_unique<mmwatch::Producer>(a.dir, name);
    f.rng = 0x9E3779B97F4A7C15ull ^ uint64_t(index + 1);
    const long scalars = a.metrics - a.histograms;
    for (long i = 0; i < scalars; ++i) {
        if (i % 2 == 0) f.counters.push_back(f.producer->counter("gen_requests_" + std::to_string(i / 2) + "_total"));
        else f.gauges.push_back(f.producer->gauge("gen_level_" + std::to_string(i / 2)));
    }
    for (long i = 0; i < a.histograms; ++i) {
        f.histograms.push_back(
            f.producer->histogram("gen_latency_" + std::to_string(i) + "_nanoseconds", uint8_t(a.g), uint8_t(a.m)));
    }
    return f.producer->publish();
}

void update(GenFile& f) {
    for (auto& c : f.counters) c.add(1 + next(f.rng) % 10);
    for (auto& g : f.gauges) g.add(int64_t(next(f.rng) % 21) - 10);  // a random walk
    for (auto& h : f.histograms) {
        for (int k = 0; k < kRecordsPerTick; ++k) {
            // Roughly log-uniform from 1 us to 1 ms: a latency-like spread.
            const uint64_t r = next(f.rng);
            h.record((uint64_t{1000} << (r % 10)) + (r >> 40) % 1000);
        }
    }
}

void add_nanos(timespec& t, long ns) {
    t.tv_nsec += ns;
    while (t.tv_nsec >= kNanosPerSecond) {
        t.tv_nsec -= kNanosPerSecond;
        ++t.tv_sec;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return kExitOk;
    }
    if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("mmwatch-gen %s\n", MMWATCH_VERSION);
        return kExitOk;
    }
    Args a;
    if (std::string err = parse_args(argc, argv, a); !err.empty()) {
        std::fprintf(stderr, "mmwatch-gen: %s\n", err.c_str());
        usage(stderr);
        return kExitUsage;
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    std::vector<GenFile> files(size_t(a.files));
    for (long i = 0; i < a.files; ++i) {
        if (const auto st = make_file(a, i, files[size_t(i)]); !st.ok()) {
            std::fprintf(stderr, "mmwatch-gen: %s\n", st.message().c_str());
            return kExitFailed;  // the Producers remove the files made so far
        }
    }
    std::printf("mmwatch-gen: %ld files x %ld metrics (%ld histograms) in %s, %g updates/s; stop with Ctrl-C\n",
                a.files, a.metrics, a.histograms, a.dir.c_str(), a.rate_hz);
    std::fflush(stdout);

    const long period_ns = long(double(kNanosPerSecond) / a.rate_hz);
    const uint64_t max_ticks = a.seconds > 0 ? uint64_t(a.seconds * a.rate_hz) : UINT64_MAX;
    timespec due{};
    clock_gettime(CLOCK_MONOTONIC, &due);
    for (uint64_t tick = 0; tick < max_ticks && !g_stop; ++tick) {
        for (auto& f : files) update(f);
        add_nanos(due, period_ns);
        // Absolute deadlines keep the rate steady; a signal ends the sleep.
        while (!g_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, nullptr) == EINTR) {}
    }
    files.clear();  // closes and removes every file
    std::printf("mmwatch-gen: removed %ld files\n", a.files);
    return kExitOk;
}
