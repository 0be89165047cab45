// The series of one benchmark workload (docs/benchmarks.md, "Scrape cost at
// scale"), shared by the producer, the floor and the probe so that mmwatch,
// node_exporter and the floor all see the same names, labels and layout.
//
// A workload is N files; file k is "wNNN.rezl" (label wNNN) or "wNNN.prom".
// Each file holds `metrics` scalars, the first half counters
// (bench_requests_<i>_total), the rest gauges (bench_inflight_<i>), then
// `histograms` H2 histograms (bench_latency_<i>, grouping power g, max
// power m). Histograms are exposed at grouping power min(kExpoPower, g),
// mmwatch's default, with only buckets that ever held a value.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "mmwatch/h2.hpp"

namespace bench {

inline constexpr unsigned kExpoPower = 3;  // mmwatch's --histogram-grouping-power default

struct Workload {
    unsigned files = 1;
    unsigned metrics = 0;     // scalars per file: counters, then gauges
    unsigned histograms = 0;  // per file
    unsigned g = 4, m = 40;

    [[nodiscard]] unsigned counters() const { return (metrics + 1) / 2; }
    [[nodiscard]] uint64_t buckets() const { return mmwatch::h2::bucket_count(g, m); }
    [[nodiscard]] unsigned entries() const { return metrics + histograms; }
};

// "files,metrics[,histograms[,g,m]]", e.g. "100,1000" or "10,0,20,4,40".
inline bool parse_workload(const char* s, Workload& w) {
    unsigned v[5] = {0, 0, 0, 4, 40};
    int n = 0;
    for (const char* p = s; *p && n < 5; ++n) {
        auto r = std::from_chars(p, p + std::strlen(p), v[n]);
        if (r.ec != std::errc()) return false;
        p = *r.ptr == ',' ? r.ptr + 1 : r.ptr;
    }
    w = {v[0], v[1], v[2], v[3], v[4]};
    return w.files >= 1 && w.entries() >= 1 && w.entries() <= 1024 && mmwatch::h2::valid_config(w.g, w.m);
}

inline std::string file_label(unsigned k) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "w%03u", k);
    return buf;
}

// Exposed family name of entry e (as mmwatch prints it).
inline std::string family_name(const Workload& w, unsigned e) {
    if (e < w.counters()) return "bench_requests_" + std::to_string(e) + "_total";
    if (e < w.metrics) return "bench_inflight_" + std::to_string(e);
    return "bench_latency_" + std::to_string(e - w.metrics);
}

inline const char* family_type(const Workload& w, unsigned e) {
    return e < w.counters() ? "counter" : e < w.metrics ? "gauge" : "histogram";
}

// Byte layout of one .rezl file of the workload.
struct FileLayout {
    std::vector<uint8_t> head;  // header (ready = 0) + catalog + padding
    std::vector<uint64_t> word_offset;  // per entry, in 8-byte words from the data start
    uint64_t data_offset = 0;
    uint64_t data_words = 0;
    [[nodiscard]] uint64_t file_bytes() const { return data_offset + 8 * data_words; }
};

inline FileLayout file_layout(const Workload& w) {
    FileLayout l;
    std::vector<uint8_t> cat;
    for (unsigned e = 0; e < w.entries(); ++e) {
        const bool hist = e >= w.metrics;
        std::string name = family_name(w, e);
        cat.push_back(e < w.counters() ? 1 : hist ? 3 : 2);
        if (hist) {
            cat.push_back(uint8_t(w.g));
            cat.push_back(uint8_t(w.m));
        }
        cat.push_back(uint8_t(name.size()));
        cat.insert(cat.end(), name.begin(), name.end());
        l.word_offset.push_back(l.data_words);
        l.data_words += hist ? w.buckets() : 1;
    }
    l.data_offset = (16 + cat.size() + 7) & ~uint64_t{7};
    l.head.assign(l.data_offset, 0);
    const uint8_t hdr[8] = {'R', 'E', 'Z', 'L', 1, 0, 0, 0};
    std::memcpy(l.head.data(), hdr, 8);
    const uint32_t count = w.entries(), cat_size = uint32_t(cat.size());
    for (int i = 0; i < 4; ++i) {
        l.head[8 + i] = uint8_t(count >> (8 * i));
        l.head[12 + i] = uint8_t(cat_size >> (8 * i));
    }
    std::memcpy(l.head.data() + 16, cat.data(), cat.size());
    return l;
}

// One exposed histogram bucket: the fine buckets [begin, end) summed into
// coarse bucket `coarse` with inclusive upper bound `le`.
struct CoarseBucket {
    uint32_t begin, end, coarse;
    uint64_t le;
};

inline std::vector<CoarseBucket> coarse_buckets(const Workload& w) {
    using namespace mmwatch::h2;
    const unsigned cg = kExpoPower < w.g ? kExpoPower : w.g;
    std::vector<CoarseBucket> out;
    for (uint64_t i = 0; i < w.buckets();) {
        const uint64_t ci = index_of(lower_bound(i, w.g), cg, w.m);
        const uint64_t upper = upper_bound(ci, cg, w.m);
        const uint64_t begin = i;
        while (i < w.buckets() && lower_bound(i, w.g) <= upper) ++i;
        out.push_back({uint32_t(begin), uint32_t(i), uint32_t(ci), upper});
    }
    return out;
}

}  // namespace bench
