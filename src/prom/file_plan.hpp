// The file metrics' exposition in every format: names, label escaping,
// families across files, histograms as cumulative buckets. Text and
// OpenMetrics are written a line at a time into the body (the fast path);
// protobuf goes through a prom::Writer. Pure: it renders snapshots that
// the watcher copied; no IO.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "rezl/rezl.hpp"
#include "prom/writer.hpp"

namespace mmwatch::prom {

// Appends `raw` as a valid Prometheus metric name: every character outside
// [a-zA-Z0-9_:] becomes one '_', and a leading digit gets a '_' prefix.
void append_sanitized_name(std::string_view raw, std::string& out);

// The family name a catalog metric is exposed under: sanitized, and for
// counters suffixed with _total unless the name already ends with it.
[[nodiscard]] std::string exposed_name(std::string_view raw, rezl::MetricType type);

// One active file as the exposition sees it. `activation` changes each
// time the source is validated anew (its layout may have changed).
struct FileView {
    uint64_t source_id = 0;
    uint64_t activation = 0;
    std::string_view label;
    const rezl::Layout* layout = nullptr;
    std::span<const uint64_t> words;
};

class LineWriter;  // file_plan.cpp: the render's output buffer

// The sample names besides `name` a file family writes in some format: a
// histogram's _bucket, _count and _sum; a counter's family name without
// _total and its _created (OpenMetrics).
[[nodiscard]] std::vector<std::string> other_sample_names(const std::string& name, rezl::MetricType type);

// Where a render through a writer stopped, for the next slice to start:
// the family and the series within it (docs/ARCHITECTURE.md, the sample
// pipeline).
struct RenderCursor {
    size_t family = 0;
    size_t series = 0;
};

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
    // Not const: it records the histogram buckets it emitted (sticky sets).
    // `openmetrics` names counter families without _total (the rest of a
    // file family reads alike in text 0.0.4 and OpenMetrics).
    bool render(std::span<const FileView> files, unsigned grouping_power, std::string& out,
                size_t max_bytes, bool openmetrics = false);
    // The same through a writer of any format (the protobuf exposition).
    // Values pass as doubles: exact up to 2^53.
    bool render(std::span<const FileView> files, unsigned grouping_power, prom::Writer& w, size_t max_bytes) {
        RenderCursor whole;
        return render(files, grouping_power, w, max_bytes, whole, SIZE_MAX);
    }
    // One slice of that: from `at`, series by series, until about
    // `budget_samples` samples are written (a histogram series counts its
    // buckets; a slice ends between series), then `at` is where the next
    // slice starts; done(at) once every family is written. The plan must
    // not be rebuilt between slices (the caller checks) and `w` is the
    // same writer throughout.
    bool render(std::span<const FileView> files, unsigned grouping_power, prom::Writer& w, size_t max_bytes,
                RenderCursor& at, size_t budget_samples);
    [[nodiscard]] bool done(const RenderCursor& at) const noexcept { return at.family >= families_.size(); }

    [[nodiscard]] bool has_family(std::string_view name) const;
    [[nodiscard]] size_t series_count() const noexcept { return series_count_; }
    // Drops first seen by the last rebuild(); the caller counts and logs them.
    std::vector<Drop> take_new_drops() { return std::move(new_drops_); }
    // Forgets the drop bookkeeping and sticky sets of a source that is gone.
    void forget_source(uint64_t source_id);

private:
    // The coarse histogram buckets ever emitted for one (source, metric),
    // as a bitset, so a bucket series never disappears while the file
    // lives; reset when the source is validated anew.
    struct Sticky {
        uint64_t activation = 0;
        std::vector<uint64_t> bits;
    };
    struct Series {
        uint32_t file;
        uint32_t metric;
        Sticky* sticky;  // histograms only: a node of sticky_ (stable)
    };
    struct Family {
        std::string name;
        rezl::MetricType type;
        std::vector<Series> series;
    };
    void note_drop(DropKind kind, const FileView& f, uint32_t metric, std::string detail);
    // Calls emit(upper_bound, cumulative) for each coarse bucket written;
    // returns the total count.
    template <typename Emit>
    uint64_t walk_histogram(const Series& s, const FileView& f, unsigned grouping_power, Emit emit) const;
    void render_histogram(const Family& fam, const Series& s, const FileView& f, unsigned grouping_power,
                          bool openmetrics, LineWriter& out) const;
    [[nodiscard]] static uint64_t key(uint64_t source_id, uint32_t metric) noexcept { return source_id << 11 | metric; }

    std::vector<Family> families_;
    std::unordered_map<std::string, uint32_t> claims_;  // sample name -> family index
    std::vector<std::string> file_labels_;              // escaped: {name="...
    size_t max_label_bytes_ = 0;                        // longest of file_labels_"
    std::unordered_set<uint64_t> reported_;             // key(source, metric)
    std::unordered_map<uint64_t, Sticky> sticky_;       // key(source, metric)
    std::vector<Drop> new_drops_;
    size_t series_count_ = 0;
};

}  // namespace mmwatch::prom
