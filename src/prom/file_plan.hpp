// Prometheus text exposition (format 0.0.4) of the file metrics: names,
// label escaping, families across files, histograms as cumulative buckets.
// Pure: it renders snapshots that the watcher copied; no IO.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mmwatch/rezl.hpp"

namespace mmwatch::expo {

// Appends `raw` as a valid Prometheus metric name: every character outside
// [a-zA-Z0-9_:] becomes one '_', and a leading digit gets a '_' prefix.
void append_sanitized_name(std::string_view raw, std::string& out);

// Appends `raw` escaped for a label value: \ " and newline are escaped and
// bytes that are not valid UTF-8 become U+FFFD, so the output always parses.
void append_escaped_label_value(std::string_view raw, std::string& out);

// The family name a catalog metric is exposed under: sanitized, and for
// counters suffixed with _total unless the name already ends with it.
[[nodiscard]] std::string exposed_name(const rezl::Metric& m);

// One active file as the exposition sees it. `sticky` holds, per metric,
// the bitset of coarse histogram buckets ever emitted, so a bucket series
// never disappears while the file lives (owned by the source).
struct FileView {
    uint64_t source_id = 0;
    std::string_view label;
    const rezl::Layout* layout = nullptr;
    std::span<const uint64_t> words;
    std::vector<std::vector<uint64_t>>* sticky = nullptr;
};

class LineWriter;  // exposition.cpp: the render's output buffer

enum class DropKind : uint8_t { type_conflict, duplicate_series, series_limit };

// A series left out of the exposition, reported once per source and metric.
struct Drop {
    DropKind kind;
    uint64_t source_id;
    std::string label;
    std::string metric;
    std::string detail;
};

class FilePlan {
public:
    // Groups the files' metrics into families in first-seen order. Names in
    // `reserved` (the self-metrics) are never used by files. Call whenever
    // the set of active files changes; render() must get the same files.
    void rebuild(std::span<const FileView> files, const std::unordered_set<std::string>& reserved,
                 size_t max_series);

    // Appends every family to `out`. `grouping_power` caps the histograms'
    // bucket resolution. Returns false if `max_bytes` stopped it early.
    bool render(std::span<const FileView> files, unsigned grouping_power, std::string& out,
                size_t max_bytes) const;

    [[nodiscard]] bool has_family(std::string_view name) const;
    [[nodiscard]] size_t series_count() const noexcept { return series_count_; }
    // Drops first seen by the last rebuild(); the caller counts and logs them.
    std::vector<Drop> take_new_drops() { return std::move(new_drops_); }
    // Forgets drop bookkeeping of sources that are gone.
    void forget_source(uint64_t source_id);

private:
    struct Series {
        uint32_t file;
        uint32_t metric;
    };
    struct Family {
        std::string name;
        rezl::MetricType type;
        std::vector<Series> series;
    };
    void note_drop(DropKind kind, const FileView& f, uint32_t metric, std::string detail);
    void render_histogram(const Family& fam, const Series& s, const FileView& f, unsigned grouping_power,
                          LineWriter& out) const;

    std::vector<Family> families_;
    std::unordered_map<std::string, uint32_t> claims_;  // sample name -> family index
    std::vector<std::string> file_labels_;              // escaped: {name="...
    size_t max_label_bytes_ = 0;                        // longest of file_labels_"
    std::unordered_set<uint64_t> reported_;             // (source_id << 11) | metric
    std::vector<Drop> new_drops_;
    size_t series_count_ = 0;
};

}  // namespace mmwatch::expo
