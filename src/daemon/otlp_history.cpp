#include "daemon/otlp_history.hpp"

#include "base/enum_names.hpp"
#include "daemon/history_keeper.hpp"
#include "history/labels.hpp"
#include "history/sample.hpp"
#include "otlp/exposition.hpp"

namespace mmwatch::daemon {

namespace {

MMWATCH_ENUM_TABLE(OtlpPointResult, kResultNames) = {
    MMWATCH_ROW(stored),        MMWATCH_ROW(same),          MMWATCH_ROW(out_of_order), MMWATCH_ROW(duplicate),
    MMWATCH_ROW(series_limit), MMWATCH_ROW(memory_budget), MMWATCH_ROW(bad_labels),   MMWATCH_ROW(loading),
    MMWATCH_ROW(name_taken),
};
static_assert(base::rows_match(kResultNames, kOtlpPointResultCount));

constexpr prom::Family kPoints{
    "mmwatch_history_otlp_points_total", prom::Kind::counter,
    "OTLP points offered to the history store at their own timestamps, by result (all but stored and same are refused)."};

const otlp::NoneTaken kNoneTaken;

bool any_live(const otlp::Store& store, const otlp::Family& f, int64_t now_ns) {
    for (uint32_t id : f.series)
        if (store.live(store.series()[id], now_ns)) return true;
    return false;
}

OtlpPointResult from_refusal(history::Refusal r) noexcept {
    switch (r) {
    case history::Refusal::out_of_order: return OtlpPointResult::out_of_order;
    case history::Refusal::duplicate: return OtlpPointResult::duplicate;
    case history::Refusal::series_limit: return OtlpPointResult::series_limit;
    case history::Refusal::memory_budget: return OtlpPointResult::memory_budget;
    case history::Refusal::bad_labels: return OtlpPointResult::bad_labels;
    }
    return OtlpPointResult::bad_labels;
}

}  // namespace

std::string_view otlp_point_result_name(OtlpPointResult r) noexcept { return base::name_of(kResultNames, r); }

void OtlpHistory::set_labels(prom::SampleCollector::Labels target, prom::SampleCollector::Labels external) {
    target_ = std::move(target);
    external_ = std::move(external);
    memo_.clear();  // label sets made with the old labels name other series
}

void OtlpHistory::refresh_names(int64_t now_ns) {
    if (!store_) return;
    const otlp::Store& store = *store_;
    claims_.clear();
    verdicts_.resize(store.families().size(), otlp::NameVerdict::undecided);
    std::string name;
    for (uint32_t family = 0; family < verdicts_.size(); ++family) {
        const otlp::NameVerdict before = verdicts_[family];
        verdicts_[family] = any_live(store, store.families()[family], now_ns)
                                ? claims_.decide(store, family, taken_ ? *taken_ : kNoneTaken, name)
                                : otlp::NameVerdict::undecided;
        // Written no more (or not for now: decided again at its next
        // point, maybe under a name a file took since): its series go back.
        if (before == otlp::NameVerdict::written && verdicts_[family] != otlp::NameVerdict::written)
            release_family(store, family);
    }
}

// Whether the family is written under its name; one not decided yet is
// decided now, after those decided before.
bool OtlpHistory::name_written(const otlp::Store& store, uint32_t family) {
    if (family >= verdicts_.size()) verdicts_.resize(size_t(family) + 1, otlp::NameVerdict::undecided);
    if (verdicts_[family] == otlp::NameVerdict::undecided) {
        std::string name;
        verdicts_[family] = claims_.decide(store, family, taken_ ? *taken_ : kNoneTaken, name);
        keeper_.count_feeder_bytes();
    }
    return verdicts_[family] == otlp::NameVerdict::written;
}

// A family that lost its name: its history series are no longer its own,
// so the sample pipeline samples them again (a file series with the same
// labels is the file's).
void OtlpHistory::release_family(const otlp::Store& store, uint32_t family) {
    history::Store& h = keeper_.store();
    for (uint32_t series_id : store.families()[family].series) {
        if (series_id >= memo_.size()) continue;
        Memo& m = memo_[series_id];
        if (m.id != history::kNoSeries && h.live(m.id) && h.generation(m.id) == m.generation)
            keeper_.clear_own_timestamps(m.id);
        m = {};
    }
}

// The history series of an OTLP series: remembered by its id, made once
// from what a SampleCollector stores of it (its one sample's labels).
history::SeriesId OtlpHistory::series_of(const otlp::Store& store, uint32_t series_id, double value) {
    history::Store& h = keeper_.store();
    if (series_id >= memo_.size()) {
        memo_.resize(size_t(series_id) + 1);
        keeper_.count_feeder_bytes();
    }
    Memo& m = memo_[series_id];
    if (m.id != history::kNoSeries && h.live(m.id) && h.generation(m.id) == m.generation) return m.id;
    prom::SampleCollector collector(target_, external_);
    otlp::write_series(store, series_id, collector, value);
    labels_.clear();
    if (collector.series_count() != 0)
        prom::for_each_label(collector.labels(0),
                             [&](std::string_view n, std::string_view v) { labels_.push_back({n, v}); });
    history::Refusal why = history::Refusal::bad_labels;
    history::SeriesId id = history::kNoSeries;
    if (!labels_.empty() && history::canonicalize(labels_) == history::LabelError::none) {
        const history::Store::Lookup found = h.series(labels_);
        id = found.id;
        why = found.refusal;
    }
    if (id == history::kNoSeries) {
        h.count_refused(why, 1);
        ++counts_[size_t(from_refusal(why))];
        return id;
    }
    m = {id, h.generation(id)};
    keeper_.mark_own_timestamps(id);
    return id;
}

void OtlpHistory::point(const otlp::Store& store, uint32_t series_id, int64_t t_ms, double value) {
    if (keeper_.loading()) {
        ++counts_[size_t(OtlpPointResult::loading)];
        return;
    }
    if (!name_written(store, store.series()[series_id].key.family)) {
        ++counts_[size_t(OtlpPointResult::name_taken)];
        return;
    }
    const history::SeriesId id = series_of(store, series_id, value);
    if (id == history::kNoSeries) return;
    history::Store& h = keeper_.store();
    const int64_t last_t = h.at(id).last_t;
    switch (h.append(id, t_ms, history::value_bits(value))) {
    case history::AppendStatus::stored: ++counts_[size_t(OtlpPointResult::stored)]; break;
    case history::AppendStatus::same: ++counts_[size_t(OtlpPointResult::same)]; break;
    case history::AppendStatus::refused:
        ++counts_[size_t(t_ms == last_t ? OtlpPointResult::duplicate : OtlpPointResult::out_of_order)];
        break;
    }
}

size_t OtlpHistory::memory_bytes() const noexcept {
    return memo_.capacity() * sizeof(Memo) + verdicts_.capacity() * sizeof(otlp::NameVerdict) + claims_.memory_bytes();
}

prom::Family OtlpHistory::self_metric_family() { return kPoints; }

void OtlpHistory::write_self_metrics(prom::Writer& w) const {
    prom::head(w, kPoints);
    for (size_t i = 0; i < kOtlpPointResultCount; ++i)
        prom::labelled(w, "result", otlp_point_result_name(OtlpPointResult(i)), double(counts_[i]));
}

}  // namespace mmwatch::daemon
