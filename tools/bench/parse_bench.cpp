// Request parsing cost against input size when a request arrives a byte at
// a time (the worst a peer can do): resumed with a ParseState, as the
// server parses, and started over on every read, as it did before. Numbers
// only (docs/benchmarks.md).
#include <chrono>
#include <cstdio>
#include <string>

#include "base/limits.hpp"
#include "http/request.hpp"

using namespace mmwatch;

namespace {

double parse_bytewise(const std::string& text, bool resume) {
    const auto t0 = std::chrono::steady_clock::now();
    http::ParseState st;
    http::Request r;
    std::string buf;
    for (size_t n = 1; n <= text.size(); ++n) {
        buf.push_back(text[n - 1]);
        http::ParseState fresh;
        (void)http::parse_request(buf, r, 64 * 1024, 0, resume ? st : fresh);
    }
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main() {
    std::printf("request head delivered one byte per read; ns per byte of input\n");
    std::printf("%10s %14s %14s\n", "head bytes", "resumed", "from scratch");
    for (size_t size : {1024, 2048, 4096, 8192, 16384, 32768}) {
        const std::string text = "GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(size - 35, 'a') + "\r\n\r\n";
        const double resumed = parse_bytewise(text, true) / double(text.size());
        const double scratch = parse_bytewise(text, false) / double(text.size());
        std::printf("%10zu %14.1f %14.1f\n", text.size(), resumed, scratch);
    }
    // A CRLF flood: blank lines count toward the head cap.
    const std::string flood(base::kMaxRequestHeadBytes, '\n');
    http::ParseState st;
    http::Request r;
    const auto res = http::parse_request(flood, r, base::kMaxRequestHeadBytes, 0, st);
    std::printf("8 KiB of blank lines: %s\n", res.status == http::ParseStatus::error ? "refused (431)" : "not refused");
    return 0;
}
