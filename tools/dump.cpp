// mmwatch-dump FILE: what mmwatch sees in a metrics file: header, catalog,
// values, and the reader's verdict with its reason spelled out.
//
// Exit status: 0 accepted, 1 usage, 2 rejected (or unreadable).
// The file is read with pread, never mapped, so a producer truncating it
// meanwhile yields a short read, not a SIGBUS.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "daemon/version.h"
#include <vector>

#include "mmwatch/h2.hpp"
#include "rezl/rezl.hpp"

namespace rezl = mmwatch::rezl;
namespace h2 = mmwatch::h2;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitRejected = 2;
constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999};
constexpr const char* kQuantileNames[] = {"p50", "p90", "p99", "p999"};

bool read_whole(const char* path, std::vector<std::byte>& out, std::string& error) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    struct stat st{};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        error = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        return false;
    }
    out.resize(size_t(st.st_size));
    size_t got = 0;
    while (got < out.size()) {
        const ssize_t n = ::pread(fd, out.data() + got, out.size() - got, off_t(got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // shrunk meanwhile: the reader reports what is left
        got += size_t(n);
    }
    out.resize(got);
    ::close(fd);
    return true;
}

uint64_t load_u64(const std::vector<std::byte>& b, uint64_t offset) {
    uint64_t v = 0;
    std::memcpy(&v, b.data() + offset, 8);  // little-endian hosts only, as the producers
    return v;
}

// Names are UTF-8 from the file; control bytes are shown escaped so a
// hostile name cannot rewrite the terminal.
std::string printable(std::string_view s) {
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", u);
            out += buf;
        } else {
            out += c;
        }
    }
    return out;
}

void print_header(const std::vector<std::byte>& bytes) {
    const auto h = rezl::parse_header(bytes);
    if (bytes.size() < rezl::kHeaderBytes) return;
    std::printf("magic       %c%c%c%c\n", char(bytes[0]), char(bytes[1]), char(bytes[2]), char(bytes[3]));
    if (h.reason == rezl::Reason::bad_magic || h.reason == rezl::Reason::byte_swapped_magic) return;
    const auto& v = h.value;
    std::printf("version     %u.%u\n", v.major, v.minor);
    std::printf("status      0x%02X (%s)\n", v.status, v.ready() ? "ready" : "not ready");
    std::printf("metrics     %" PRIu32 "\n", v.metric_count);
    std::printf("catalog     %" PRIu32 " bytes\n", v.catalog_bytes);
}

void print_catalog(const rezl::Layout& layout) {
    std::printf("data        offset %" PRIu64 ", %" PRIu64 " words, expected size %" PRIu64 "\n\n",
                layout.data_offset, layout.data_words, layout.expected_size());
    std::printf("%-5s %-10s %-10s %-10s %-8s %s\n", "#", "type", "config", "offset", "words", "name");
    for (size_t i = 0; i < layout.metrics.size(); ++i) {
        const auto& m = layout.metrics[i];
        std::string config = "-";
        if (m.type == rezl::MetricType::histogram) {
            config = "g=" + std::to_string(m.grouping_power) + ",m=" + std::to_string(m.max_power);
        }
        std::printf("%-5zu %-10s %-10s %-10" PRIu64 " %-8" PRIu64 " %s\n", i,
                    std::string(rezl::type_name(m.type)).c_str(), config.c_str(), layout.offset_of(m),
                    uint64_t{m.words}, printable(layout.name(m)).c_str());
    }
    std::printf("\n");
}

// Quantile q as the upper bound of the bucket holding the ceil(q * count)th
// value: an exact "at most", like a Prometheus `le`.
void print_quantiles(const std::vector<uint64_t>& counts, uint64_t total, const rezl::Metric& m) {
    std::printf("  ");
    for (size_t k = 0; k < std::size(kQuantiles); ++k) {
        const uint64_t rank = std::max<uint64_t>(1, uint64_t(std::ceil(kQuantiles[k] * double(total))));
        uint64_t seen = 0;
        for (size_t i = 0; i < counts.size(); ++i) {
            seen += counts[i];
            if (seen >= rank) {
                std::printf("%s <= %" PRIu64 "%s", kQuantileNames[k], h2::upper_bound(i, m.grouping_power, m.max_power),
                            k + 1 < std::size(kQuantiles) ? "  " : "\n");
                break;
            }
        }
    }
}

void print_histogram(const std::vector<std::byte>& bytes, const rezl::Layout& layout, const rezl::Metric& m) {
    std::vector<uint64_t> counts(m.words);
    uint64_t total = 0;
    for (uint64_t i = 0; i < m.words; ++i) {
        counts[i] = load_u64(bytes, layout.offset_of(m) + i * 8);
        total += counts[i];
    }
    std::printf("histogram %s g=%u m=%u count=%" PRIu64 "\n", printable(layout.name(m)).c_str(), m.grouping_power,
                m.max_power, total);
    for (uint64_t i = 0; i < m.words; ++i) {
        if (counts[i] == 0) continue;
        std::printf("  bucket [%" PRIu64 ", %" PRIu64 "] %" PRIu64 "\n", h2::lower_bound(i, m.grouping_power),
                    h2::upper_bound(i, m.grouping_power, m.max_power), counts[i]);
    }
    if (total > 0) print_quantiles(counts, total, m);
}

void print_values(const std::vector<std::byte>& bytes, const rezl::Layout& layout) {
    for (const auto& m : layout.metrics) {
        switch (m.type) {
            case rezl::MetricType::counter:
                std::printf("counter %s %" PRIu64 "\n", printable(layout.name(m)).c_str(),
                            load_u64(bytes, layout.offset_of(m)));
                break;
            case rezl::MetricType::gauge:
                std::printf("gauge %s %" PRId64 "\n", printable(layout.name(m)).c_str(),
                            int64_t(load_u64(bytes, layout.offset_of(m))));
                break;
            case rezl::MetricType::histogram: print_histogram(bytes, layout, m); break;
        }
    }
}

void print_verdict(rezl::Reason r) {
    if (r == rezl::Reason::none) {
        std::printf("verdict     accepted\n");
        return;
    }
    std::printf("verdict     rejected: %s (%s)\n", std::string(rezl::reason_name(r)).c_str(),
                std::string(rezl::reason_message(r)).c_str());
}

}  // namespace

int main(int argc, char** argv) {
    static constexpr const char* kUsage =
        "usage: mmwatch-dump FILE\n"
        "Shows a REZL metrics file's header, catalog and values as mmwatch reads them,\n"
        "or why mmwatch rejects it.\n\n"
        "  --help      show this help and exit\n"
        "  --version   print the version and exit\n\n"
        "Exit status: 0 accepted, 2 rejected, 1 usage.\n";
    if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("mmwatch-dump %s\n", MMWATCH_VERSION);
        return 0;
    }
    if (argc != 2) {
        std::fputs(kUsage, stderr);
        return kExitUsage;
    }
    std::vector<std::byte> bytes;
    std::string error;
    std::printf("file        %s\n", argv[1]);
    if (!read_whole(argv[1], bytes, error)) {
        print_verdict(rezl::Reason::open_failed);
        std::printf("            %s\n", error.c_str());
        return kExitRejected;
    }
    std::printf("size        %zu bytes\n", bytes.size());
    print_header(bytes);
    auto r = rezl::parse_layout(bytes, bytes.size());
    print_verdict(r.reason);
    if (r.reason == rezl::Reason::not_ready && bytes.size() > 6) {
        // mmwatch waits for the flag until its --ready-timeout; show what
        // the file will hold once the producer sets it.
        std::printf("            the ready flag is 0 now; the catalog as it would be read once set:\n");
        auto as_ready = bytes;
        as_ready[6] |= std::byte{rezl::kReadyBit};
        const auto later = rezl::parse_layout(as_ready, as_ready.size());
        if (!later.ok()) print_verdict(later.reason);
        else print_catalog(later.value);
        return kExitRejected;
    }
    if (r.reason == rezl::Reason::size_mismatch) {
        std::printf("            expected %" PRIu64 " bytes from the catalog, the file has %zu\n",
                    r.value.expected_size(), bytes.size());
    }
    if (!r.ok()) return kExitRejected;
    print_catalog(r.value);
    print_values(bytes, r.value);
    return kExitOk;
}
