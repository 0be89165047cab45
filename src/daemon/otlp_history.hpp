// OTLP points into the history store (docs/otlp.md, "History"): each
// point the OTLP store accepts is appended at its own timestamp (after
// the clock rule) to the history series a scrape of /metrics would store
// it as (the same label set the sample pipeline makes: target and external
// labels included), so a PromQL query finds one series whichever way a
// sample came. The keeper is told which series are fed here, and skips
// them in the sample pipeline's batches: an OTLP series is stored once,
// at its own timestamps, never again at sample times. A family /metrics
// leaves out for its name (a file metric or self-metric has it, or an
// OTLP family before it) is left out of history too (`name_taken`), so a
// name has one owner in both and an OTLP series never takes the place of
// a file series with the same labels.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "history/history_store.hpp"
#include "otlp/exposition.hpp"
#include "otlp/store.hpp"
#include "prom/samples.hpp"
#include "prom/writer.hpp"

namespace mmwatch::daemon {

class HistoryKeeper;

// What became of an OTLP point in the history store. Every reason but
// `stored` and `same` is a refusal, counted by name.
enum class OtlpPointResult : uint8_t {
    stored,
    same,           // the series' last sample exactly (a resend): not stored again
    out_of_order,   // older than the series' last sample
    duplicate,      // at the series' last time with another value
    series_limit,   // a new series past --history-max-series
    memory_budget,  // a new series --history-bytes cannot hold
    bad_labels,     // a label set Prometheus' rules refuse
    loading,        // the reload of --history-dir at start was running
    name_taken,     // /metrics leaves the family out: a file metric, a self-metric or another OTLP family has the name
};
inline constexpr size_t kOtlpPointResultCount = 9;
[[nodiscard]] std::string_view otlp_point_result_name(OtlpPointResult r) noexcept;

class OtlpHistory final : public otlp::PointSink {
public:
    explicit OtlpHistory(HistoryKeeper& keeper) : keeper_(keeper) {}

    // The labels the sample pipeline sets (Sampler's target and external).
    void set_labels(prom::SampleCollector::Labels target, prom::SampleCollector::Labels external);
    // The OTLP store and the names /metrics gives to others first (the
    // page's); without them no name is taken.
    void attach(const otlp::Store& store, const otlp::TakenNames& taken) noexcept {
        store_ = &store;
        taken_ = &taken;
    }
    void attach(const otlp::Store&, const otlp::TakenNames&&) = delete;  // kept: not a temporary
    // Decides every family's name again as /metrics does now (its series'
    // liveness at `now_ns` included); the keeper calls it before each
    // sample batch, so a family that lost its name stops feeding its
    // series before the batch samples the file series that has it.
    void refresh_names(int64_t now_ns);

    void point(const otlp::Store& store, uint32_t series_id, int64_t t_ms, double value) override;

    [[nodiscard]] uint64_t count(OtlpPointResult r) const noexcept { return counts_[size_t(r)]; }
    // What this holds per OTLP series and family (the history ids, the
    // name verdicts and claims): counted in the history store's budget.
    [[nodiscard]] size_t memory_bytes() const noexcept;
    // mmwatch_history_otlp_points_total{result}, every result.
    void write_self_metrics(prom::Writer& w) const;
    [[nodiscard]] static prom::Family self_metric_family();

private:
    // A history series kept for an OTLP series, valid while its generation is.
    struct Memo {
        history::SeriesId id = history::kNoSeries;
        uint32_t generation = 0;
    };
    history::SeriesId series_of(const otlp::Store& store, uint32_t series_id, double value);
    [[nodiscard]] bool name_written(const otlp::Store& store, uint32_t family);
    void release_family(const otlp::Store& store, uint32_t family);

    HistoryKeeper& keeper_;
    prom::SampleCollector::Labels target_, external_;
    std::vector<Memo> memo_;  // by OTLP series id
    const otlp::Store* store_ = nullptr;
    const otlp::TakenNames* taken_ = nullptr;  // null: none taken
    // By family id, as of the last refresh_names(); a family without a
    // live series then is decided at its next point, after the others.
    otlp::NameClaims claims_;
    std::vector<otlp::NameVerdict> verdicts_;
    std::vector<history::LabelView> labels_;
    uint64_t counts_[kOtlpPointResultCount] = {};
};

}  // namespace mmwatch::daemon
