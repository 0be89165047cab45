// OTLP metrics in the Prometheus exposition formats, translated by the
// OpenTelemetry compatibility rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "otlp/store.hpp"
#include "prom/writer.hpp"

namespace mmwatch::otlp {

// What one render left out, by reason.
struct ExpositionSkips {
    uint64_t family_taken = 0;    // the file metrics or self-metrics already use a sample name
    uint64_t name_collision = 0;  // two OTLP metrics would write one sample name
    uint64_t response_bytes = 0;  // families left out at --max-response-bytes
    uint64_t cut_short = 0;       // families cut short at --max-response-bytes
    uint64_t duplicate_labels = 0;  // series (points) rendering to a label set already written
    uint64_t native_scale = 0;  // exponential histograms under scale -4, sent classic in protobuf
};

// Native histogram schemas Prometheus accepts; OTLP scales above are
// reduced to 8 by merging buckets, those below are not sent as native.
inline constexpr int32_t kMinNativeSchema = -4;
inline constexpr int32_t kMaxNativeSchema = 8;

// `e` as a native histogram, exactly (false when its scale is below -4).
[[nodiscard]] bool to_native(const ExpHistogram& e, prom::NativeHistogram& h);

// The names the page holds before the OTLP part (the file families', the
// self-metrics'): implemented by whoever composes the page.
class TakenNames {
public:
    [[nodiscard]] virtual bool taken(std::string_view name) const = 0;

protected:
    ~TakenNames() = default;
};

// Nothing taken: a page of OTLP series alone (tests, the fuzzers).
struct NoneTaken final : TakenNames {
    [[nodiscard]] bool taken(std::string_view) const override { return false; }
};

// Which OTLP families /metrics writes under their names, decided in the
// store's order as render_prometheus() decides: a family any of whose
// sample names (NAME, and NAME_bucket, NAME_count, NAME_sum for histograms
// and summaries) is `taken` is left out (`taken`), as is one a family
// decided before it claimed, or target_info, or mmwatch_otlp_*
// (`collision`). The history path asks the same question (one name, one
// owner, in /metrics and in history alike).
enum class NameVerdict : uint8_t { undecided, written, taken, collision };

class NameClaims {
public:
    // Decides `family` after every family decided before; `name` is set to
    // its Prometheus name.
    NameVerdict decide(const Store& store, uint32_t family, const TakenNames& taken, std::string& name);
    [[nodiscard]] bool claimed(std::string_view sample_name) const { return claimed_.count(std::string(sample_name)) > 0; }
    void clear() noexcept {
        claimed_.clear();
        node_bytes_ = 0;
    }
    // The claimed names' memory, estimated from the set's nodes, their
    // strings and its buckets. O(1).
    [[nodiscard]] size_t memory_bytes() const noexcept;

private:
    std::unordered_set<std::string> claimed_;  // sample names of the families written
    size_t node_bytes_ = 0;                    // of claimed_'s nodes, kept as they are added
};

// Appends every family with a series that received a point within the
// window (by receipt time), then target_info. A family any of whose sample
// names (NAME, and NAME_bucket, NAME_count, NAME_sum for histograms and
// summaries) is `taken` is left out, as is one colliding with an OTLP
// family written before; families stop once `out` reaches `max_bytes`.
// What was left out is returned (mmwatch_otlp_exposition_skipped_families).
[[nodiscard]] ExpositionSkips render_prometheus(const Store& store, prom::Writer& out, const TakenNames& taken,
                                                int64_t now_ns, size_t max_bytes = SIZE_MAX);

// One series as /metrics writes it (family, labels, one sample of its
// role) with `value`: the history store names an OTLP series by what a
// SampleCollector makes of this, the label set a scrape of it stores.
void write_series(const Store& store, uint32_t series_id, prom::Writer& w, double value);

}  // namespace mmwatch::otlp
