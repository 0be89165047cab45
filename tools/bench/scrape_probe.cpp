// The benchmark's client: timed sequential scrapes, and change latency.
//
//   scrape_probe scrape --port P --pid PID --n N [--pace-ms MS]
//     N sequential GET /metrics, one HTTP/1.0 connection each (the server
//     closes it after the body: no keep-alive, no chunking, no gzip). Prints
//     one JSON object: wall time per scrape (median, p99, min, max, ms), body
//     bytes, and PID's utime+stime (clock ticks, /proc/PID/stat) before and
//     after the loop. --pace-ms sleeps between scrapes (not timed).
//
//   scrape_probe latency --port P --dir D --trials K --interval-ms I
//     Against mmwatch: per trial, (1) a file created in place with ready = 0
//     gets its ready flag set: time until its series is on /metrics;
//     (2) its counter is set to a new value: time until that value shows;
//     (3) it is unlinked: time until its series is gone; (4) a ready file
//     renamed into place: time until it shows. /metrics is polled back to
//     back. Prints one JSON object with median/p99/max per measure (ms).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "scale_workload.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// One GET over a fresh connection; returns the body (empty on failure).
bool fetch(int port, std::string& buf, std::string& body) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return false;
    }
    static constexpr char kReq[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, kReq, sizeof kReq - 1) != ssize_t(sizeof kReq - 1)) {
        ::close(fd);
        return false;
    }
    buf.clear();
    char chunk[1 << 16];
    for (;;) {
        const ssize_t r = ::read(fd, chunk, sizeof chunk);
        if (r <= 0) break;
        buf.append(chunk, size_t(r));
    }
    ::close(fd);
    const size_t head = buf.find("\r\n\r\n");
    if (buf.compare(0, 12, "HTTP/1.1 200") != 0 && buf.compare(0, 12, "HTTP/1.0 200") != 0) return false;
    if (head == std::string::npos) return false;
    body.assign(buf, head + 4);
    return true;
}

long cpu_ticks(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), {});
    const size_t p = s.rfind(')');
    if (p == std::string::npos) return -1;
    std::istringstream in(s.substr(p + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; in >> field; ++i) {  // field 3 is the state
        if (i == 14) utime = std::stol(field);
        if (i == 15) {
            stime = std::stol(field);
            break;
        }
    }
    return utime + stime;
}

double pct(std::vector<double> v, double p) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    // Nearest rank.
    size_t k = size_t(std::ceil(p / 100.0 * double(v.size())));
    return v[k ? k - 1 : 0];
}

std::map<std::string, std::string> args(int argc, char** argv) {
    std::map<std::string, std::string> a;
    for (int i = 2; i + 1 < argc; i += 2) a[argv[i]] = argv[i + 1];
    return a;
}

int scrape(std::map<std::string, std::string> a) {
    const int port = std::stoi(a["--port"]), pid = std::stoi(a["--pid"]), n = std::stoi(a["--n"]);
    const int pace = a.count("--pace-ms") ? std::stoi(a["--pace-ms"]) : 0;
    std::string buf, body;
    std::vector<double> t;
    size_t bytes = 0;
    int failures = 0;
    const long c0 = cpu_ticks(pid);
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
        if (pace) std::this_thread::sleep_for(std::chrono::milliseconds(pace));
        const auto t0 = Clock::now();
        if (!fetch(port, buf, body)) {
            ++failures;
            continue;
        }
        t.push_back(ms_since(t0));
        bytes = body.size();
    }
    const double wall = ms_since(start) / 1000.0;
    const long c1 = cpu_ticks(pid);
    std::printf("{\"n\": %zu, \"failures\": %d, \"median_ms\": %.4f, \"p99_ms\": %.4f, \"min_ms\": %.4f, "
                "\"max_ms\": %.4f, \"bytes\": %zu, \"cpu_ticks\": %ld, \"ticks_per_s\": %ld, \"wall_s\": %.3f}\n",
                t.size(), failures, pct(t, 50), pct(t, 99), pct(t, 0), pct(t, 100), bytes, c1 - c0,
                sysconf(_SC_CLK_TCK), wall);
    return failures ? 1 : 0;
}

// Polls /metrics until pred(body) holds; returns ms since t0, or -1 after 5 s.
template <class Pred>
double poll_until(int port, Clock::time_point t0, Pred pred) {
    std::string buf, body;
    while (ms_since(t0) < 5000) {
        if (fetch(port, buf, body) && pred(body)) return ms_since(t0);
    }
    return -1;
}

int latency(std::map<std::string, std::string> a) {
    const int port = std::stoi(a["--port"]), trials = std::stoi(a["--trials"]);
    const int interval = std::stoi(a["--interval-ms"]);
    const std::string dir = a["--dir"];
    const bench::Workload w{1, 1, 0, 4, 40};  // one counter: bench_requests_0_total
    const bench::FileLayout l = bench::file_layout(w);
    const std::string path = dir + "/lat.rezl", tmp = dir + "/.lat.rezl.tmp";
    const std::string series = "bench_requests_0_total{name=\"lat\"} ";
    std::mt19937 rng(42);
    std::map<std::string, std::vector<double>> r;
    int failures = 0;
    auto record = [&](const char* what, double v) {
        if (v < 0) ++failures;
        else r[what].push_back(v);
    };
    auto create = [&](const std::string& p, bool ready) -> uint8_t* {
        // Header and catalog (ready = 0) go in with the first write, before
        // the file is sized: mmwatch may look at any moment, and a file of
        // zeros would be rejected for its magic, not kept pending.
        const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || ::pwrite(fd, l.head.data(), l.head.size(), 0) != ssize_t(l.head.size()) ||
            ::ftruncate(fd, off_t(l.file_bytes())) != 0) {
            std::exit(1);
        }
        void* m = ::mmap(nullptr, l.file_bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
        if (m == MAP_FAILED) std::exit(1);
        auto* b = static_cast<uint8_t*>(m);
        if (ready) std::atomic_ref<uint8_t>(b[6]).store(1, std::memory_order_release);
        return b;
    };
    for (int i = 0; i < trials; ++i) {
        // (1) ready flag: the file exists, not ready, for about 1.5 intervals
        // (so mmwatch has seen it pending), then becomes ready at a random
        // phase of the snapshot timer.
        uint8_t* b = create(path, false);
        std::this_thread::sleep_for(std::chrono::microseconds(interval * 1500 + rng() % (interval * 1000)));
        auto t0 = Clock::now();
        std::atomic_ref<uint8_t>(b[6]).store(1, std::memory_order_release);
        record("ready_to_visible", poll_until(port, t0, [&](const std::string& s) { return s.find(series) != std::string::npos; }));
        // (2) a counter update.
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % (interval * 1000)));
        const uint64_t v = 1'000'000'007ull + uint64_t(i);
        const std::string want = series + std::to_string(v) + "\n";
        t0 = Clock::now();
        std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(b + l.data_offset)).store(v, std::memory_order_relaxed);
        record("update_to_visible", poll_until(port, t0, [&](const std::string& s) { return s.find(want) != std::string::npos; }));
        // (3) removal.
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % (interval * 1000)));
        t0 = Clock::now();
        ::unlink(path.c_str());
        record("removed_to_gone", poll_until(port, t0, [&](const std::string& s) { return s.find(series) == std::string::npos; }));
        ::munmap(b, l.file_bytes());
        // (4) a ready file renamed into place (what the producer libraries do).
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % (interval * 1000)));
        b = create(tmp, true);
        t0 = Clock::now();
        if (::rename(tmp.c_str(), path.c_str()) != 0) std::exit(1);
        record("renamed_to_visible", poll_until(port, t0, [&](const std::string& s) { return s.find(series) != std::string::npos; }));
        ::unlink(path.c_str());
        ::munmap(b, l.file_bytes());
        (void)poll_until(port, Clock::now(), [&](const std::string& s) { return s.find(series) == std::string::npos; });
    }
    std::printf("{\"trials\": %d, \"failures\": %d", trials, failures);
    for (const auto& [k, v] : r) {
        std::printf(", \"%s\": {\"median_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f}", k.c_str(), pct(v, 50),
                    pct(v, 99), pct(v, 100));
    }
    std::printf("}\n");
    return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "scrape") return scrape(args(argc, argv));
        if (mode == "latency") return latency(args(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scrape_probe: %s\n", e.what());
    }
    std::fprintf(stderr, "usage: scrape_probe scrape --port P --pid PID --n N [--pace-ms MS]\n"
                         "       scrape_probe latency --port P --dir D --trials K --interval-ms I\n");
    return 2;
}
